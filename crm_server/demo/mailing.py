"""Demo mass e-mail: two templates (a product launch invitation, a holiday greeting) and one finished send of the
greeting to contacts of the sales director's customers. No mail is sent: the rows record it as delivered."""
from __future__ import annotations

import datetime as dt
import json

from flask import current_app
from sqlalchemy import select

from ..contacts.models import Contact
from ..core.types import utcnow
from ..extensions import db
from ..mailing import services
from ..mailing.models import MailJob, MailRecipient, MailTemplate
from ..mailing.recipients import Audience, contact_candidates, is_valid_address, normalise_address, unsubscribe_token
from .base import DemoContext

TEMPLATES = (
    ("新品发布会邀请", "诚邀{{contact_name}}出席 2026 秋季新品发布会",
     "尊敬的{{contact_name}}：\n\n您好！感谢{{customer_name}}一直以来的信任与支持。\n\n"
     "我司定于 11 月 18 日（周三）14:00 在上海国际会议中心举办 2026 秋季新品发布会，届时将发布新一代工业控制器"
     "与配套软件，并安排现场演示和技术交流。\n\n诚挚邀请您拨冗出席。如需预留席位，请直接回复本邮件，"
     "或联系您的客户经理{{owner_name}}。\n\n此致\n敬礼\n\n{{my_name}}\n"),
    ("节日问候", "{{contact_name}}，中秋国庆双节快乐！",
     "尊敬的{{contact_name}}：\n\n值此中秋、国庆双节来临之际，谨代表公司向您和{{company}}的各位同仁致以节日的问候！\n\n"
     "感谢过去一年的合作与支持，祝您阖家团圆、万事顺意。假期期间如有任何需要，请联系您的客户经理{{owner_name}}。\n\n"
     "{{my_name}}\n"),
)


def seed(ctx: DemoContext) -> None:
    directors = ctx.active_users("sales_director")
    if not directors:
        return
    director = directors[0]
    templates = [MailTemplate(name=name, subject=subject, body=body, created_by_id=director.id)
                 for name, subject, body in TEMPLATES]
    db.session.add_all(templates)
    db.session.flush()

    rng = ctx.rng("mailing")
    ids = list(db.session.scalars(select(Contact.id).where(Contact.deleted_at.is_(None), Contact.email.is_not(None))
                                  .order_by(Contact.id).limit(400)))
    chosen = sorted(rng.sample(ids, min(len(ids), 60 if ctx.large else 24)))
    found = contact_candidates(director, Audience(), Contact.id.in_(chosen)) if chosen else []
    greeting = templates[1]
    queued_at = utcnow().replace(microsecond=0) - dt.timedelta(days=55)
    settings = current_app.config["CRM_SETTINGS"]
    job = MailJob(template_id=greeting.id, subject=greeting.subject, body=greeting.body, sender_id=director.id,
                  base_url=f"http://127.0.0.1:{settings.port}{settings.url_prefix}", audience="联系人",
                  status="done", created_at=queued_at, started_at=queued_at + dt.timedelta(minutes=1))
    db.session.add(job)
    db.session.flush()
    seen: set[str] = set()
    sent_at = job.started_at
    for candidate in found:
        address = normalise_address(candidate.address)
        if not is_valid_address(address) or address in seen:
            continue
        seen.add(address)
        candidate.values["my_name"] = director.display_name
        sent_at += dt.timedelta(seconds=rng.randint(1, 3))
        db.session.add(MailRecipient(job_id=job.id, address=address, name=candidate.name,
                                     source_type="contact", source_id=candidate.source_id,
                                     merge_values=json.dumps(candidate.values, ensure_ascii=False),
                                     unsubscribe_token=unsubscribe_token(address), status="sent", attempts=1,
                                     sent_at=sent_at))
    db.session.flush()
    job.finished_at = sent_at
    services.refresh_counts(job)
    ctx.counts.update(mail_templates=len(templates), mail_jobs=1, mail_recipients=job.total_count)
