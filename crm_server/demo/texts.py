"""Words the demo customer file is written in: company names, contacts' posts, and what a machine-tool
salesperson writes after a call, a visit or a meeting."""
from __future__ import annotations

import random
from dataclasses import dataclass

# Trade names (字号) are two of these characters; the pinyin makes the company's example.com subdomain.
TRADE_CHARS = (
    ("恒", "heng"), ("瑞", "rui"), ("金", "jin"), ("鼎", "ding"), ("华", "hua"), ("宏", "hong"), ("永", "yong"),
    ("鑫", "xin"), ("天", "tian"), ("德", "de"), ("荣", "rong"), ("盛", "sheng"), ("兴", "xing"), ("泰", "tai"),
    ("汇", "hui"), ("嘉", "jia"), ("锦", "jin"), ("隆", "long"), ("昌", "chang"), ("振", "zhen"), ("力", "li"),
    ("博", "bo"), ("凯", "kai"), ("明", "ming"), ("新", "xin"), ("联", "lian"), ("鸿", "hong"), ("通", "tong"),
    ("达", "da"), ("宇", "yu"), ("佳", "jia"), ("信", "xin"), ("创", "chuang"), ("立", "li"), ("东", "dong"),
    ("合", "he"), ("正", "zheng"), ("卓", "zhuo"), ("科", "ke"), ("康", "kang"), ("丰", "feng"), ("亿", "yi"),
    ("润", "run"), ("源", "yuan"), ("晟", "sheng"), ("顺", "shun"), ("弘", "hong"), ("浩", "hao"), ("辰", "chen"),
    ("祥", "xiang"), ("茂", "mao"), ("诚", "cheng"), ("益", "yi"), ("众", "zhong"), ("鹏", "peng"), ("峰", "feng"),
    ("远", "yuan"), ("安", "an"), ("伟", "wei"), ("欣", "xin"),
)


@dataclass(frozen=True)
class Trade:
    word: str        # 精密模具: what the full name says the company does
    short: str       # 模具: what the short name keeps
    slug: str        # mould: in the web address
    industry: str    # the customer_industry dictionary value
    weight: int
    school: bool = False  # a training school, not a company (有限公司)


TRADES = (
    Trade("精密模具", "模具", "mould", "制造业", 10), Trade("汽车零部件", "汽配", "autoparts", "制造业", 10),
    Trade("机械制造", "机械", "machinery", "制造业", 10), Trade("五金制品", "五金", "hardware", "制造业", 6),
    Trade("塑胶制品", "塑胶", "plastics", "制造业", 5), Trade("电子科技", "电子", "electronics", "制造业", 6),
    Trade("精密机械", "精机", "precision", "制造业", 8), Trade("液压设备", "液压", "hydraulic", "制造业", 4),
    Trade("阀门", "阀门", "valve", "制造业", 4), Trade("电机", "电机", "motor", "制造业", 4),
    Trade("轴承", "轴承", "bearing", "制造业", 3), Trade("新能源科技", "新能源", "newenergy", "制造业", 5),
    Trade("智能装备", "装备", "equipment", "制造业", 5), Trade("金属制品", "金属", "metal", "制造业", 4),
    Trade("环保设备", "环保", "envtech", "制造业", 3), Trade("光电科技", "光电", "optics", "制造业", 3),
    Trade("医疗器械", "医疗", "medical", "医疗健康", 4), Trade("机电设备", "机电", "mechatronics", "批发零售", 4),
    Trade("工业自动化", "自动化", "automation", "信息技术", 4), Trade("钢结构工程", "钢构", "steel", "建筑工程", 3),
    Trade("物流装备", "物流", "logistics", "物流运输", 2),
    Trade("职业技能培训学校", "职校", "school", "教育培训", 2, school=True),
)
TRADE_WEIGHTS = [t.weight for t in TRADES]

# Made-up foreign brands of the foreign-invested customers: 德玛克精密机械（苏州）有限公司.
FOREIGN_BRANDS = (("德玛克", "demak"), ("奥斯特林", "austerlin"), ("柯博恩", "kobern"), ("霍芬斯", "hofens"),
                  ("伊瑞特", "irete"), ("贝克曼斯", "beckmans"), ("莫德勒", "modler"), ("斯维克", "swik"),
                  ("凯姆斯", "kemms"), ("兰德尔", "randell"), ("维斯巴赫", "wisbach"), ("卡洛蒂", "carlotti"))
FOREIGN_TRADES = tuple(t for t in TRADES if t.word in ("精密机械", "汽车零部件", "电子科技", "医疗器械", "精密模具"))

# (title, department, decision role): the people a machine-tool salesperson deals with at a customer.
POSTS = (
    ("采购经理", "采购部", "purchaser"),
    ("设备部主任", "设备部", "user"),
    ("总经理", "总经办", "decision_maker"),
    ("技术总监", "技术部", "influencer"),
    ("财务经理", "财务部", "other"),
)

# What 华东精工 sells: (product, model, price per unit in 10,000 yuan)
PRODUCTS = (("立式加工中心", "VMC850", 38), ("立式加工中心", "VMC1160", 52), ("卧式加工中心", "HMC630", 128),
            ("数控车床", "CK6150", 22), ("斜床身数控车床", "TCK56", 35), ("龙门加工中心", "GMC2016", 186),
            ("五轴联动加工中心", "UMC500", 260), ("机器人上下料自动化线", "RL-200", 320),
            ("桁架机械手自动化线", "GL-3", 210), ("柔性制造单元", "FMS-4", 450))
PARTS = ("主轴", "滚珠丝杠", "刀库机械手", "伺服电机", "数控系统模块", "直线导轨", "冷却泵", "排屑器")
WORKPIECES = ("变速箱壳体", "模具型腔", "液压阀体", "电机端盖", "精密轴类零件", "阀门法兰", "医疗器械零件",
              "电池托盘", "轴承座", "铝合金压铸件")
EXPOS = ("中国国际机床展览会", "中国国际工业博览会", "华南国际机械展", "长三角智能制造展", "西部制造业博览会")
RIVALS = ("日系品牌", "台湾品牌", "德系品牌", "本地厂家")

# Follow-ups by stage of the customer: (kind, content) templates, then outcomes and next steps.
CONTENT = {
    "early": (
        ("call", "电话联系{c}{t}，介绍我司{p}（{m}）和自动化改造方案，对方表示今年有扩产计划，同意先看资料。"),
        ("call", "致电{c}，了解到客户现有设备以普通机床为主，正在考虑数控化改造，约定下周上门交流。"),
        ("call", "电话回访{c}，客户目前{w}靠外协加工，交期不稳定，有自制意向，预算还没定。"),
        ("wechat", "微信发送公司画册和{m}技术参数给{c}，对方回复会转给技术部评估。"),
        ("email", "发邮件给{c}{t}，附{p}产品资料和同行业{w}加工案例。"),
        ("visit", "上门拜访{c}{t}，参观车间，现有{q}台加工设备，主要加工{w}，初步了解产能瓶颈。"),
        ("meeting", "在{e}上与{c}交流，客户对{m}的加工精度感兴趣，交换名片，约定会后回访。"),
        ("other", "客户通过官网留言咨询{p}价格，已电话回复{c}，介绍了标准配置和交货期。"),
        ("call", "{c}经朋友介绍来电，想了解{p}的加工范围和售后网点，已约下周二上门。"),
        ("email", "按{c}要求补充发送{m}的精度检验标准和主要配件品牌清单。"),
    ),
    "intent": (
        ("call", "与{c}电话确认{m}的配置需求：行程、主轴转速和刀库容量，准备正式报价。"),
        ("email", "发送{p}（{m}）×{q}台正式报价单给{c}，含运输、安装调试和一年质保。"),
        ("visit", "陪同技术工程师拜访{c}{t}，现场确认{w}加工工艺，客户提供了样件图纸。"),
        ("meeting", "客户{c}一行来上海展厅参观，现场演示{m}试切{w}，对节拍和精度基本满意。"),
        ("meeting", "参加客户内部技术评审会，{c}提出需要增加在线测量和自动排屑，我方答应修改方案。"),
        ("wechat", "微信与{c}沟通价格，客户反馈{r}报价低约 8%，需要我方给出优惠方案。"),
        ("call", "{c}来电询问交货期，告知标准机 45 天、自动化线 90 天，客户需内部走采购流程。"),
        ("visit", "带样件试切报告拜访{c}，客户确认{w}尺寸全部合格，进入商务谈判。"),
        ("wechat", "{c}微信发来新厂房平面图，要求按{q}台{m}重新排布设备并核算产能。"),
        ("call", "{c}{t}来电确认付款方式，希望 3-3-4 分期，需报公司领导审批。"),
        ("meeting", "与{c}及其技术部召开视频会议，逐条澄清{p}技术协议，剩余两项下次确认。"),
    ),
    "deal": (
        ("visit", "与{c}{t}签订{p}（{m}）×{q}台采购合同，合同金额 {a} 万元，预付 30%。"),
        ("meeting", "商务谈判会议，最终确定{m}×{q}台，总价 {a} 万元，当场签订合同。"),
    ),
    "after": (
        ("call", "回访{c}，{m}已安装调试完成，运行正常，客户对售后响应速度满意。"),
        ("visit", "安排工程师上门做季度保养，检查主轴和导轨润滑，{c}签字确认。"),
        ("call", "{c}反映{part}有异响，已安排售后工程师 24 小时内到场处理。"),
        ("email", "发送年度维保合同续签报价给{c}，含两次预防性保养，备件九折。"),
        ("wechat", "微信提醒{c}尾款 {a} 万元即将到期，对方表示本月底前安排付款。"),
        ("call", "{c}询价备件：{part}两套，已报价并承诺一周内发货。"),
        ("visit", "拜访{c}{t}，了解到明年新厂房投产，还需{q}台{p}，约定提交新方案。"),
        ("other", "组织{c}的操作工参加我司编程与日常保养培训，共 {q} 人，培训结束颁发证书。"),
        ("meeting", "年度回访会议，{c}对设备开动率满意，提出希望缩短备件到货周期。"),
    ),
    "lost": (
        ("call", "致电{c}，得知客户已选择{r}的设备，主要原因是价格，保持联系，关注后续项目。"),
        ("visit", "拜访{c}，客户项目因订单下滑暂停，设备采购推迟到明年。"),
        ("wechat", "微信问候{c}，客户表示目前没有新的设备需求。"),
    ),
}
OUTCOMES = {
    "early": ("客户有初步需求，待进一步了解", "对方同意接收资料", "暂无采购计划，保持联系", "约定上门拜访",
              "需求明确，准备方案"),
    "intent": ("客户要求修改配置后重新报价", "已提交报价，等待客户内部审批", "试切通过，进入商务谈判",
               "客户在比较三家供应商", "技术方案获得认可"),
    "deal": ("签订合同", "合同已签，安排排产"),
    "after": ("问题已解决", "客户满意", "已报价，等待确认", "客户同意续签维保", "付款已确认"),
    "lost": ("客户选择了竞争对手", "项目暂停", "暂无需求"),
}
NEXT_STEPS = {
    "early": ("发送产品资料和报价", "安排技术交流", "邀请客户参观上海展厅", "电话回访", "了解客户年度设备预算"),
    "intent": ("跟进报价反馈", "安排样件试切", "提交修改后的技术方案", "约客户总经理面谈", "准备合同草稿"),
    "deal": ("安排发货和安装调试", "跟进预付款到账"),
    "after": ("跟进尾款", "季度保养回访", "推荐自动化改造方案", "确认备件到货", "续签维保合同"),
    "lost": ("半年后回访",),
}
KINDS = ("call", "visit", "meeting", "email", "wechat", "other")

RELEASE_REASONS = ("客户暂无采购需求，放回公海", "多次联系不上，放回公海", "客户已选择其他供应商", "超出本人负责区域",
                   "客户规模太小，暂不跟进")
RECYCLE_REASON = "超过 {days} 天未跟进，系统自动收回公海"
TRANSFER_REASONS = ("销售区域调整", "原负责人岗位调整", "客户要求更换对接人", "离职交接")
REMARKS = ("年产值约 {n} 亿元，员工 {k} 人。", "客户设备以进口品牌为主，对价格敏感。", "有新厂房在建，明年有设备采购计划。",
           "财务付款流程较长，注意回款节点。", "老板重视自动化，适合推荐机器人上下料方案。", None, None, None)


def followup_text(rng: random.Random, stage: str, contact: str, title: str) -> tuple[str, str, str, str]:
    """(kind, content, outcome, next step) of one follow-up with a customer at this stage."""
    kind, template = rng.choice(CONTENT[stage])
    product, model, price = rng.choice(PRODUCTS)
    quantity = rng.choice((1, 1, 2, 2, 3, 4, 6))
    content = template.format(c=contact, t=title, p=product, m=model, q=quantity, w=rng.choice(WORKPIECES),
                              e=rng.choice(EXPOS), r=rng.choice(RIVALS), part=rng.choice(PARTS),
                              a=price * quantity if stage == "deal" else round(price * quantity * 0.3))
    return kind, content, rng.choice(OUTCOMES[stage]), rng.choice(NEXT_STEPS[stage])


def remark(rng: random.Random) -> str | None:
    text = rng.choice(REMARKS)
    return text.format(n=rng.choice((0.5, 1, 2, 3, 5, 8)), k=rng.choice((80, 150, 300, 600, 1200))) if text else None
