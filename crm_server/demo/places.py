"""Where the demo customers are: cities with their province, telephone area code and districts (with their
administrative division codes, which the 18-character credit code carries), and which branch serves them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str            # 苏州市
    province: str        # 江苏省 (a municipality is its own province: 上海市)
    pinyin: str          # suzhou: for example.com subdomains
    area_code: str       # 0512: landlines are area code + 8 digits in every city listed here
    districts: tuple[tuple[str, str], ...]  # (district, 6-digit division code)
    branches: tuple[str, ...]  # the branches that serve it, nearest first (a small demo has only some)
    weight: int = 10     # how many customers it has, relatively

    @property
    def short(self) -> str:
        """The city without 市, as it starts a company name: 苏州."""
        return self.name[:-1] if self.name.endswith("市") else self.name

    @property
    def municipality(self) -> bool:
        return self.province == self.name


_HQ = "上海总部"


def _city(name: str, province: str, pinyin: str, area_code: str, branches: tuple[str, ...], weight: int,
          districts: str) -> City:
    """districts: "浦东新区 310115, 闵行区 310112" (district and division code)."""
    pairs = tuple(tuple(part.split()) for part in districts.split(", "))
    return City(name, province, pinyin, area_code, pairs, branches, weight)


CITIES = (
    _city("上海市", "上海市", "shanghai", "021", (_HQ,), 30,
          "浦东新区 310115, 闵行区 310112, 嘉定区 310114, 松江区 310117, "
          "青浦区 310118, 宝山区 310113, 奉贤区 310120"),
    _city("苏州市", "江苏省", "suzhou", "0512", ("苏州办事处", _HQ), 24,
          "吴中区 320506, 相城区 320507, 虎丘区 320505, 吴江区 320509, "
          "昆山市 320583, 常熟市 320581, 张家港市 320582, 太仓市 320585"),
    _city("无锡市", "江苏省", "wuxi", "0510", ("苏州办事处", _HQ), 14,
          "新吴区 320214, 锡山区 320205, 惠山区 320206, 滨湖区 320211, 江阴市 320281"),
    _city("常州市", "江苏省", "changzhou", "0519", ("南京办事处", _HQ), 10,
          "武进区 320412, 新北区 320411, 钟楼区 320404"),
    _city("南京市", "江苏省", "nanjing", "025", ("南京办事处", _HQ), 12,
          "江宁区 320115, 浦口区 320111, 栖霞区 320113, 六合区 320116"),
    _city("杭州市", "浙江省", "hangzhou", "0571", ("杭州分公司", _HQ), 14,
          "余杭区 330110, 萧山区 330109, 滨江区 330108, 钱塘区 330114, 临平区 330113"),
    _city("宁波市", "浙江省", "ningbo", "0574", ("杭州分公司", _HQ), 14,
          "北仑区 330206, 鄞州区 330212, 镇海区 330211, 慈溪市 330282, 余姚市 330281"),
    _city("嘉兴市", "浙江省", "jiaxing", "0573", ("杭州分公司", _HQ), 8,
          "南湖区 330402, 秀洲区 330411, 嘉善县 330421, 平湖市 330482"),
    _city("合肥市", "安徽省", "hefei", "0551", ("南京办事处", _HQ), 8,
          "蜀山区 340104, 包河区 340111, 肥西县 340123, 长丰县 340121"),
    _city("北京市", "北京市", "beijing", "010", ("北京分公司",), 16,
          "海淀区 110108, 朝阳区 110105, 大兴区 110115, 顺义区 110113, "
          "昌平区 110114, 通州区 110112"),
    _city("天津市", "天津市", "tianjin", "022", ("北京分公司",), 12,
          "滨海新区 120116, 西青区 120111, 东丽区 120110, 武清区 120114, 津南区 120112"),
    _city("石家庄市", "河北省", "shijiazhuang", "0311", ("北京分公司",), 5,
          "长安区 130102, 裕华区 130108, 栾城区 130111"),
    _city("济南市", "山东省", "jinan", "0531", ("北京分公司",), 6,
          "历下区 370102, 历城区 370112, 章丘区 370114"),
    _city("青岛市", "山东省", "qingdao", "0532", ("北京分公司",), 8,
          "黄岛区 370211, 城阳区 370214, 即墨区 370215"),
    _city("广州市", "广东省", "guangzhou", "020", ("广州办事处",), 14,
          "番禺区 440113, 白云区 440111, 黄埔区 440112, 花都区 440114, "
          "南沙区 440115, 增城区 440118"),
    _city("佛山市", "广东省", "foshan", "0757", ("广州办事处",), 12,
          "顺德区 440606, 南海区 440605, 禅城区 440604, 三水区 440607"),
    _city("东莞市", "广东省", "dongguan", "0769", ("深圳分公司", "广州办事处"), 12,
          "长安镇 441900, 塘厦镇 441900, 松山湖 441900, 虎门镇 441900"),
    _city("中山市", "广东省", "zhongshan", "0760", ("广州办事处",), 5,
          "小榄镇 442000, 火炬开发区 442000, 古镇镇 442000"),
    _city("深圳市", "广东省", "shenzhen", "0755", ("深圳分公司", "广州办事处"), 14,
          "宝安区 440306, 龙岗区 440307, 龙华区 440309, 南山区 440305, 光明区 440311"),
    _city("成都市", "四川省", "chengdu", "028", ("成都分公司", "北京分公司"), 10,
          "郫都区 510117, 新都区 510114, 龙泉驿区 510112, 双流区 510116, 青白江区 510113"),
    _city("重庆市", "重庆市", "chongqing", "023", ("成都分公司", "北京分公司"), 8,
          "渝北区 500112, 九龙坡区 500107, 江津区 500116"),
    _city("武汉市", "湖北省", "wuhan", "027", ("武汉办事处", _HQ), 10,
          "东西湖区 420112, 蔡甸区 420114, 江夏区 420115, 汉阳区 420105"),
    _city("长沙市", "湖南省", "changsha", "0731", ("武汉办事处", "广州办事处"), 7,
          "雨花区 430111, 望城区 430112, 长沙县 430121"),
    _city("郑州市", "河南省", "zhengzhou", "0371", ("武汉办事处", "北京分公司"), 6,
          "中牟县 410122, 管城回族区 410104, 金水区 410105"),
    _city("西安市", "陕西省", "xian", "029", ("西安办事处", "北京分公司"), 8,
          "未央区 610112, 长安区 610116, 灞桥区 610111, 雁塔区 610113"),
)

# Roads of the industrial parks and development zones most of these customers sit in.
STREETS = ("兴业路", "创业路", "科技大道", "工业园路", "发展大道", "高新路", "金桥路", "长江路", "黄河路", "珠江路",
           "振兴路", "富民路", "建设路", "新华路", "环城东路", "经济开发区纬二路", "工业大道", "滨江路", "园区大道",
           "开发区北环路", "纺织路", "机电路", "模具城路", "智造大道", "通达路", "和平路", "新港大道", "临港路")


def cities_by_branch(branch_names: list[str]) -> dict[str, list[City]]:
    """For the branches that exist, the cities each serves: a city goes to its nearest existing branch, and
    to the head office (the first branch) when none of its branches exists."""
    served: dict[str, list[City]] = {name: [] for name in branch_names}
    for city in CITIES:
        branch = next((b for b in city.branches if b in served), branch_names[0])
        served[branch].append(city)
    return served
