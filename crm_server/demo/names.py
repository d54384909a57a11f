"""Chinese names with their pinyin, so that a demo user 张伟 signs in as "zhangwei".

Faker's zh_CN provider has Chinese names and, separately, romanized names that do not match them, so
the names are drawn from these tables with Faker's seeded random generator instead.
"""
from __future__ import annotations

import random

# (surname, pinyin, weight): weights follow how common the surname is, roughly.
SURNAMES = (
    ("王", "wang", 30), ("李", "li", 30), ("张", "zhang", 28), ("刘", "liu", 22), ("陈", "chen", 20),
    ("杨", "yang", 12), ("黄", "huang", 10), ("赵", "zhao", 10), ("吴", "wu", 9), ("周", "zhou", 9),
    ("徐", "xu", 7), ("孙", "sun", 7), ("马", "ma", 6), ("朱", "zhu", 6), ("胡", "hu", 6),
    ("郭", "guo", 5), ("何", "he", 5), ("林", "lin", 5), ("高", "gao", 5), ("罗", "luo", 4),
    ("郑", "zheng", 4), ("梁", "liang", 4), ("谢", "xie", 3), ("宋", "song", 3), ("唐", "tang", 3),
    ("许", "xu", 3), ("韩", "han", 3), ("冯", "feng", 3), ("邓", "deng", 3), ("曹", "cao", 3),
    ("彭", "peng", 2), ("曾", "zeng", 2), ("肖", "xiao", 2), ("田", "tian", 2), ("董", "dong", 2),
    ("潘", "pan", 2), ("袁", "yuan", 2), ("蒋", "jiang", 2), ("蔡", "cai", 2), ("余", "yu", 2),
    ("杜", "du", 2), ("叶", "ye", 2), ("程", "cheng", 2), ("魏", "wei", 2), ("苏", "su", 2),
    ("吕", "lv", 2), ("丁", "ding", 2), ("沈", "shen", 2), ("任", "ren", 2), ("姚", "yao", 2),
    ("卢", "lu", 1), ("傅", "fu", 1), ("钟", "zhong", 1), ("姜", "jiang", 1), ("崔", "cui", 1),
    ("谭", "tan", 1), ("陆", "lu", 1), ("范", "fan", 1), ("汪", "wang", 1), ("廖", "liao", 1),
    ("石", "shi", 1), ("金", "jin", 1), ("贾", "jia", 1), ("夏", "xia", 1), ("方", "fang", 1),
    ("邹", "zou", 1), ("熊", "xiong", 1), ("白", "bai", 1), ("孟", "meng", 1), ("秦", "qin", 1),
    ("邱", "qiu", 1), ("侯", "hou", 1), ("江", "jiang", 1), ("薛", "xue", 1), ("雷", "lei", 1),
    ("龙", "long", 1), ("陶", "tao", 1), ("贺", "he", 1), ("毛", "mao", 1), ("顾", "gu", 1),
    ("龚", "gong", 1), ("邵", "shao", 1), ("钱", "qian", 1), ("戴", "dai", 1), ("严", "yan", 1),
    ("欧阳", "ouyang", 1),
)

GIVEN_NAMES = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("霞", "xia"),
    ("平", "ping"), ("刚", "gang"), ("鹏", "peng"), ("飞", "fei"), ("斌", "bin"), ("辉", "hui"),
    ("鑫", "xin"), ("波", "bo"), ("宁", "ning"), ("琳", "lin"), ("颖", "ying"), ("倩", "qian"),
    ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("瑶", "yao"), ("晨", "chen"), ("凯", "kai"),
    ("桂英", "guiying"), ("秀英", "xiuying"), ("秀兰", "xiulan"), ("建华", "jianhua"), ("建国", "jianguo"),
    ("建军", "jianjun"), ("志强", "zhiqiang"), ("志明", "zhiming"), ("海燕", "haiyan"), ("海涛", "haitao"),
    ("晓东", "xiaodong"), ("晓明", "xiaoming"), ("晓燕", "xiaoyan"), ("晓红", "xiaohong"), ("晓峰", "xiaofeng"),
    ("丽娟", "lijuan"), ("丽华", "lihua"), ("文静", "wenjing"), ("文杰", "wenjie"), ("文博", "wenbo"),
    ("俊杰", "junjie"), ("浩然", "haoran"), ("子轩", "zixuan"), ("梓涵", "zihan"), ("一鸣", "yiming"),
    ("佳怡", "jiayi"), ("欣怡", "xinyi"), ("雨涵", "yuhan"), ("思远", "siyuan"), ("宇航", "yuhang"),
    ("嘉欣", "jiaxin"), ("婷婷", "tingting"), ("丹丹", "dandan"), ("晶晶", "jingjing"), ("玉兰", "yulan"),
    ("春梅", "chunmei"), ("春华", "chunhua"), ("国强", "guoqiang"), ("国庆", "guoqing"), ("立新", "lixin"),
    ("红梅", "hongmei"), ("永刚", "yonggang"), ("振华", "zhenhua"), ("家豪", "jiahao"), ("天宇", "tianyu"),
    ("子豪", "zihao"), ("博文", "bowen"), ("思琪", "siqi"), ("梦瑶", "mengyao"), ("雅琴", "yaqin"),
    ("美玲", "meiling"), ("少华", "shaohua"), ("明辉", "minghui"), ("宏伟", "hongwei"), ("佳琪", "jiaqi"),
    ("诗涵", "shihan"), ("志伟", "zhiwei"), ("玉梅", "yumei"), ("金凤", "jinfeng"), ("卫东", "weidong"),
)

_SURNAME_WEIGHTS = [weight for _name, _pinyin, weight in SURNAMES]
# Given names above that are usually a woman's; the rest are read as a man's (good enough for a demo).
FEMALE_GIVEN_NAMES = frozenset((
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "琳", "颖", "倩", "婷", "雪", "慧", "瑶", "桂英", "秀英", "秀兰",
    "海燕", "晓燕", "晓红", "丽娟", "丽华", "文静", "梓涵", "佳怡", "欣怡", "雨涵", "嘉欣", "婷婷", "丹丹", "晶晶",
    "玉兰", "春梅", "红梅", "思琪", "梦瑶", "雅琴", "美玲", "佳琪", "诗涵", "玉梅", "金凤"))


def person_name(rng: random.Random) -> tuple[str, str]:
    """(Chinese name, its pinyin without tones or spaces), e.g. ("张伟", "zhangwei")."""
    surname, surname_pinyin, _weight = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    given, given_pinyin = rng.choice(GIVEN_NAMES)
    return surname + given, surname_pinyin + given_pinyin


def person(rng: random.Random) -> tuple[str, str, str]:
    """(Chinese name, pinyin, "male" or "female"), drawn like person_name."""
    surname, surname_pinyin, _weight = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    given, given_pinyin = rng.choice(GIVEN_NAMES)
    return surname + given, surname_pinyin + given_pinyin, "female" if given in FEMALE_GIVEN_NAMES else "male"
