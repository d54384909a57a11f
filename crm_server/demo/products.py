"""Demo catalogue of 华东精工: CNC machine tools, automation lines, spare parts, tooling and services in a two-level
category tree, a dealer and a key-account price list, and the competitors its salespeople meet."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from ..core.types import utcnow
from ..extensions import db
from ..opportunities.models import Competitor
from ..products.models import PriceList, PriceListItem, Product, ProductCategory
from .base import DemoContext

# Category tree: top level -> sub-categories.
CATEGORIES = (
    ("数控机床", ("加工中心", "数控车床", "五轴机床")),
    ("自动化产线", ("机器人上下料", "柔性制造单元")),
    ("配件与备件", ("主轴与传动", "数控系统与电气")),
    ("刀具与夹具", ()),
    ("技术服务", ()),
)

# (category, code, name, specification, unit, list price in yuan, cost share, tax rate)
CATALOGUE = (
    ("加工中心", "VMC-850", "立式加工中心 VMC850", "X/Y/Z 850×500×550mm，BT40 主轴 10000rpm，24 把刀库", "台",
     380000, "0.72", 13),
    ("加工中心", "VMC-1160", "立式加工中心 VMC1160", "X/Y/Z 1100×600×600mm，BT40 主轴 12000rpm，24 把刀库", "台",
     520000, "0.72", 13),
    ("加工中心", "VMC-1370", "立式加工中心 VMC1370", "X/Y/Z 1300×700×700mm，BT50 主轴 8000rpm，30 把刀库", "台",
     680000, "0.71", 13),
    ("加工中心", "HMC-630", "卧式加工中心 HMC630", "工作台 630×630mm，双交换工作台，BT50，60 把链式刀库", "台",
     1280000, "0.70", 13),
    ("加工中心", "GMC-2016", "龙门加工中心 GMC2016", "X/Y/Z 2000×1600×800mm，BT50 主轴 6000rpm", "台",
     1860000, "0.70", 13),
    ("加工中心", "GMC-3022", "龙门加工中心 GMC3022", "X/Y/Z 3000×2200×1000mm，BT50 齿轮主轴", "台",
     2680000, "0.69", 13),
    ("数控车床", "CK6150", "数控车床 CK6150", "最大回转直径 500mm，加工长度 1000mm，四工位刀架", "台",
     220000, "0.74", 13),
    ("数控车床", "TCK-56", "斜床身数控车床 TCK56", "45° 斜床身，12 工位伺服刀塔，A2-6 主轴", "台",
     350000, "0.73", 13),
    ("数控车床", "TCK-56Y", "车铣复合车床 TCK56Y", "Y 轴 ±50mm，动力刀塔，C 轴分度 0.001°", "台",
     580000, "0.71", 13),
    ("数控车床", "CK-46D", "双主轴数控车床 CK46D", "正副双主轴，桁架上下料接口", "台", 460000, "0.72", 13),
    ("五轴机床", "UMC-500", "五轴联动加工中心 UMC500", "摇篮式 A/C 轴，工作台 Φ500mm，HSK-A63 电主轴 18000rpm", "台",
     2600000, "0.68", 13),
    ("五轴机床", "UMC-800", "五轴联动加工中心 UMC800", "摇篮式 A/C 轴，工作台 Φ800mm，HSK-A100", "台",
     3580000, "0.68", 13),
    ("机器人上下料", "RL-200", "机器人上下料自动化线 RL-200", "六轴机器人 20kg，料仓 12 层，2 台机床联线", "套",
     3200000, "0.66", 13),
    ("机器人上下料", "RL-100", "机器人上下料工作站 RL-100", "六轴机器人 10kg，单机床，视觉定位", "套",
     680000, "0.67", 13),
    ("机器人上下料", "GL-3", "桁架机械手自动化线 GL-3", "三轴桁架，负载 30kg，3 台车床联线", "套",
     2100000, "0.67", 13),
    ("柔性制造单元", "FMS-4", "柔性制造单元 FMS-4", "4 台卧加 + 托盘库 24 位 + 中央控制系统", "套",
     4500000, "0.65", 13),
    ("柔性制造单元", "FMS-MES", "产线管理系统 MES 授权", "设备联网、排产、OEE 看板，50 个终端", "套",
     260000, "0.35", 13),
    ("主轴与传动", "SP-BT40", "BT40 机械主轴总成", "10000rpm，适用 VMC850/1160", "个", 38000, "0.60", 13),
    ("主轴与传动", "SP-BT50", "BT50 齿轮主轴总成", "6000rpm，适用 GMC 系列", "个", 56000, "0.60", 13),
    ("主轴与传动", "SP-E18", "HSK-A63 电主轴", "18000rpm，适用 UMC500", "个", 125000, "0.62", 13),
    ("主轴与传动", "BS-4010", "滚珠丝杠副 4010", "C3 级，长度 1200mm", "条", 6800, "0.55", 13),
    ("主轴与传动", "LG-35", "滚柱直线导轨 35 型", "长度 1500mm，含 2 个滑块", "套", 4200, "0.55", 13),
    ("主轴与传动", "ATC-24", "24 把圆盘式刀库机械手", "BT40，换刀时间 2.5s", "套", 26000, "0.58", 13),
    ("数控系统与电气", "NC-M80", "数控系统模块 M80", "含伺服驱动 4 轴", "套", 68000, "0.65", 13),
    ("数控系统与电气", "SV-2KW", "交流伺服电机 2kW", "额定转速 2000rpm，带绝对值编码器", "台", 5600, "0.60", 13),
    ("数控系统与电气", "PMP-C2", "冷却泵 C2", "扬程 20m，流量 60L/min", "台", 1800, "0.55", 13),
    ("数控系统与电气", "CHP-01", "链板式排屑器", "长度 3m，含集屑车", "台", 9800, "0.56", 13),
    ("刀具与夹具", "TH-BT40-ER32", "BT40-ER32 刀柄", "动平衡 G2.5 @ 20000rpm", "个", 680, "0.45", 13),
    ("刀具与夹具", "VS-160", "精密液压平口钳 160", "开口 0-200mm，重复定位 0.01mm", "个", 3200, "0.50", 13),
    ("刀具与夹具", "ZP-4", "零点定位系统 4 工位", "定位精度 0.005mm，气动释放", "套", 28000, "0.52", 13),
    ("刀具与夹具", "TS-01", "对刀仪", "接触式，重复精度 1μm", "个", 12500, "0.50", 13),
    ("技术服务", "SVC-AMC", "年度维保服务", "每年 2 次预防性保养，48 小时到场", "年", 18000, "0.40", 6),
    ("技术服务", "SVC-AMC-PRO", "全保年度维保服务", "含备件与人工，24 小时到场", "年", 48000, "0.55", 6),
    ("技术服务", "SVC-TRN", "数控编程与操作培训", "5 天，最多 6 名学员，厂内或客户现场", "次", 12000, "0.30", 6),
    ("技术服务", "SVC-INS", "安装调试服务", "含精度检测报告", "次", 8000, "0.35", 6),
    ("技术服务", "SVC-RET", "旧设备数控化改造", "按台评估，含系统与伺服更换", "台", 150000, "0.62", 13),
    ("技术服务", "SVC-PRC", "工艺方案与试切服务", "含夹具设计与节拍报告", "人天", 2500, "0.30", 6),
)
DISCONTINUED = ("CK6150", "NC-M80")  # still in old quotes, no longer offered

# Price lists: (name, share of the list price, which categories it prices, description)
PRICE_LISTS = (
    ("经销商价", Decimal("0.85"), ("数控机床", "配件与备件", "刀具与夹具"), "授权经销商提货价，按年度签约"),
    ("大客户价", Decimal("0.92"), None, "年度框架协议客户及集团客户适用"),
)

# Competitors: (name, website, price level, products, strengths, weaknesses, notes)
COMPETITORS = (
    ("东瀛精机（上海）有限公司", "https://www.toei-seiki.example.cn", "high", "立式/卧式加工中心、五轴机床",
     "日系品牌，精度保持性好；品牌认可度高，汽车零部件行业案例多",
     "价格高出我方 20%-30%；标准机交期 4-6 个月；非标定制响应慢", "在长三角外资客户中是主要对手"),
    ("台丰精密机械股份有限公司", "https://www.taifeng-precision.example.com", "medium", "立式加工中心、数控车床",
     "性价比高，标准机现货多；经销网络覆盖广", "售后依赖经销商，响应不稳定；高端五轴产品线弱",
     "常以经销商身份报价，价格弹性大"),
    ("德兰克机床（太仓）有限公司", "https://www.draenk.example.cn", "high", "五轴联动加工中心、柔性制造单元",
     "德系技术，五轴与自动化整体方案强；航空航天案例多", "价格最高；国内服务工程师少，备件周期长", None),
    ("江南数控机床有限公司", "https://www.jiangnan-cnc.example.com", "low", "数控车床、经济型立加",
     "价格低，交期短（15-30 天）；本地化服务快", "精度稳定性一般；自动化集成能力弱", "价格战时常低于我方 10%-15%"),
    ("齐鲁重型机床集团", "https://www.qilu-heavy.example.com", "medium", "龙门加工中心、重型卧式车床",
     "大型龙门机床产品线全；国企背景，政府及军工项目有优势", "机床外观与人机交互较老；项目决策流程慢", None),
    ("智匠自动化科技（苏州）有限公司", "https://www.zhijiang-auto.example.cn", "medium", "机器人上下料、桁架自动化线",
     "系统集成经验丰富，可兼容多品牌机床", "不生产机床本体，整线责任划分不清", "有时与我方合作，有时竞争"),
    ("岭南精密数控设备有限公司", "https://www.lingnan-cnc.example.com", "low", "钻攻中心、小型立加",
     "3C 行业客户多，钻攻中心节拍快", "重切削能力弱；华东地区服务网点少", None),
    ("川蜀机床厂", None, "low", "普通车床、数控化改造",
     "西南地区老牌厂家，客户关系深；改造业务价格低", "新产品研发慢；数控系统依赖外购", "主要在成都分公司区域遇到"),
)


def _fen(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _round_price(value: Decimal) -> Decimal:
    """Prices people quote: whole hundreds above 10,000 yuan, whole yuan below."""
    step = Decimal(100) if value >= 10000 else Decimal(1)
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def seed(ctx: DemoContext) -> None:
    categories: dict[str, ProductCategory] = {}
    for order, (top_name, children) in enumerate(CATEGORIES, start=1):
        top = ProductCategory(name=top_name, sort_order=order * 10)
        db.session.add(top)
        categories[top_name] = top
        for child_order, child_name in enumerate(children, start=1):
            categories[child_name] = ProductCategory(name=child_name, parent=top, sort_order=child_order * 10)
            db.session.add(categories[child_name])
    db.session.flush()
    parents = {child: top for top, children in CATEGORIES for child in children}

    products = []
    for category, code, name, specification, unit, price, cost_share, tax in CATALOGUE:
        list_price = _fen(Decimal(price))
        products.append(Product(
            code=code, name=name, category=categories[category], specification=specification, unit=unit,
            list_price=list_price, cost=_fen(list_price * Decimal(cost_share)), tax_rate=_fen(Decimal(tax)),
            is_on_sale=code not in DISCONTINUED,
            description=f"{name}。{specification}。" + ("标准交期 45 天。" if unit == "台" else "")))
    db.session.add_all(products)
    db.session.flush()

    today = utcnow().date()
    year_start = dt.date(today.year, 1, 1)
    for name, share, category_names, description in PRICE_LISTS:
        valid_to = dt.date(today.year, 12, 31) if category_names else dt.date(today.year + 1, 12, 31)
        price_list = PriceList(name=name, valid_from=year_start, valid_to=valid_to, is_active=True,
                               description=description)
        db.session.add(price_list)
        db.session.flush()
        for product in products:
            top = parents.get(product.category.name, product.category.name)
            if not product.is_on_sale or (category_names and top not in category_names):
                continue
            db.session.add(PriceListItem(price_list_id=price_list.id, product_id=product.id,
                                         price=_round_price(product.list_price * share)))
    db.session.flush()

    for name, website, level, their_products, strengths, weaknesses, notes in COMPETITORS:
        db.session.add(Competitor(name=name, website=website, price_level=level, products=their_products,
                                  strengths=strengths, weaknesses=weaknesses, notes=notes))
    db.session.flush()
    ctx.counts.update(product_categories=len(categories), products=len(products), price_lists=len(PRICE_LISTS),
                      competitors=len(COMPETITORS))
