"""Reference tables of the synthetic world: countries, ports, customs offices, cities and commodities.

Everything here is plain data in fixed order (tuples, not sets), so the generator is deterministic.
Unit values are US dollars per kilogram of net mass, duty rates are fractions, weights are relative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "YEAR",
    "COUNTRY_REGION",
    "SEA_PORTS",
    "AIR_PORTS",
    "RAIL_PORTS",
    "ROAD_PORTS",
    "LAND_SHARE",
    "SEA_TRANSIT",
    "AIR_TRANSIT",
    "Office",
    "OFFICES",
    "City",
    "CITIES",
    "Product",
    "PRODUCTS",
    "ANTI_DUMPING",
    "SEA_CARRIERS",
    "LEASING_PREFIXES",
    "AIR_CARRIERS",
    "RAIL_CARRIERS",
    "POST_CARRIERS",
    "TRADE_MODES",
    "TRANSPORT_MODES",
]

YEAR = 2025

# ISO alpha-2 -> trade region (drives routing and transshipment).
COUNTRY_REGION: dict[str, str] = {
    "DE": "europe", "NL": "europe", "FR": "europe", "IT": "europe", "ES": "europe", "GB": "europe",
    "BE": "europe", "DK": "europe", "PT": "europe", "IE": "europe", "NO": "europe", "SE": "europe",
    "PL": "europe", "CZ": "europe", "CH": "europe", "FO": "europe", "TR": "europe",
    "US": "namerica", "CA": "namerica", "MX": "latam",
    "BR": "latam", "AR": "latam", "UY": "latam", "CL": "latam", "PE": "latam", "EC": "latam", "CO": "latam",
    "SA": "mideast", "AE": "mideast", "IQ": "mideast", "OM": "mideast",
    "ZA": "africa", "AO": "africa", "CD": "africa", "ZM": "africa", "ET": "africa",
    "VN": "seasia", "TH": "seasia", "MY": "seasia", "ID": "seasia", "PH": "seasia", "KH": "seasia",
    "MM": "seasia", "LA": "seasia", "SG": "seasia",
    "IN": "sasia", "BD": "sasia", "LK": "sasia",
    "JP": "neasia", "KR": "neasia", "TW": "neasia", "HK": "neasia", "MO": "neasia", "RU": "neasia",
    "MN": "neasia", "KZ": "casia",
    "AU": "oceania", "NZ": "oceania",
}  # fmt: skip

# Loading seaports by country (UN/LOCODE). Landlocked countries ship through a neighbour's port.
SEA_PORTS: dict[str, tuple[str, ...]] = {
    "DE": ("DEHAM", "DEBRV"), "NL": ("NLRTM",), "FR": ("FRLEH", "FRFOS"), "IT": ("ITGOA", "ITSPE"),
    "ES": ("ESVLC", "ESALG"), "GB": ("GBFXT", "GBSOU"), "BE": ("BEANR",), "DK": ("DKAAR",),
    "PT": ("PTLEI",), "IE": ("IEDUB",), "NO": ("NOOSL", "NOAES"), "SE": ("SEGOT",), "PL": ("PLGDN",),
    "TR": ("TRMER", "TRAMR"), "FO": ("FOTHO",),
    "US": ("USLAX", "USLGB", "USOAK", "USSEA", "USNYC", "USSAV"), "CA": ("CAVAN", "CAPRR"),
    "MX": ("MXZLO", "MXLZC"),
    "BR": ("BRSSZ", "BRPNG", "BRRIG"), "AR": ("ARBUE", "ARROS"), "UY": ("UYMVD",), "CL": ("CLSAI", "CLVAP"),
    "PE": ("PECLL",), "EC": ("ECGYE",), "CO": ("COCTG", "COBUN"),
    "SA": ("SAJED", "SADMM"), "AE": ("AEJEA", "AEKHL"), "IQ": ("IQUQR",), "OM": ("OMSOH",),
    "ZA": ("ZADUR", "ZASDB"), "AO": ("AOLAD",), "CD": ("TZDAR",), "ZM": ("TZDAR", "ZADUR"), "ET": ("DJJIB",),
    "VN": ("VNSGN", "VNHPH", "VNCMT"), "TH": ("THLCH", "THBKK"), "MY": ("MYPKG", "MYTPP", "MYPEN"),
    "ID": ("IDJKT", "IDSUB"), "PH": ("PHMNL", "PHDVO"), "KH": ("KHKOS",), "MM": ("MMRGN",), "SG": ("SGSIN",),
    "IN": ("INNSA", "INMUN", "INMAA"), "BD": ("BDCGP",), "LK": ("LKCMB",),
    "JP": ("JPTYO", "JPYOK", "JPOSA", "JPUKB"), "KR": ("KRPUS", "KRINC"), "TW": ("TWKHH", "TWKEL"),
    "HK": ("HKHKG",), "MO": ("MOMFM",), "RU": ("RUVVO", "RUNJK"),
    "CH": ("DEHAM", "NLRTM", "ITGOA"), "CZ": ("DEHAM",), "LA": ("THLCH",),
    "AU": ("AUMEL", "AUSYD", "AUBNE", "AUPHE"), "NZ": ("NZAKL", "NZTRG"),
}  # fmt: skip

AIR_PORTS: dict[str, str] = {
    "DE": "DEFRA", "NL": "NLAMS", "FR": "FRCDG", "IT": "ITMXP", "ES": "ESMAD", "GB": "GBLHR", "BE": "BEBRU",
    "DK": "DKCPH", "PT": "PTLIS", "IE": "IEDUB", "NO": "NOOSL", "SE": "SESTO", "PL": "PLWAW", "CZ": "CZPRG",
    "CH": "CHZRH", "TR": "TRIST", "FO": "DKCPH", "US": "USJFK", "CA": "CAYVR", "MX": "MXMEX", "BR": "BRGRU",
    "AR": "AREZE", "UY": "UYMVD", "CL": "CLSCL", "PE": "PELIM", "EC": "ECUIO", "CO": "COBOG", "SA": "SARUH",
    "AE": "AEDXB", "IQ": "IQBGW", "OM": "OMMCT", "ZA": "ZAJNB", "AO": "AOLAD", "CD": "CDFIH", "ZM": "ZMLUN",
    "ET": "ETADD", "VN": "VNSGN", "TH": "THBKK", "MY": "MYKUL", "ID": "IDJKT", "PH": "PHMNL", "KH": "KHPNH",
    "MM": "MMRGN", "SG": "SGSIN", "IN": "INBOM", "BD": "BDDAC", "LK": "LKCMB", "JP": "JPNRT", "KR": "KRSEL",
    "TW": "TWTPE", "HK": "HKHKG", "MO": "MOMFM", "RU": "RUMOW", "MN": "MNULN", "KZ": "KZALA", "LA": "LAVTE",
    "AU": "AUSYD", "NZ": "NZAKL",
}  # fmt: skip

# China-Europe railway and cross-border rail: loading terminal by country.
RAIL_PORTS: dict[str, str] = {
    "DE": "DEDUI", "PL": "PLLOD", "NL": "DEDUI", "FR": "DEDUI", "IT": "ITMIL", "ES": "ESMAD", "CZ": "PLLOD",
    "BE": "DEDUI", "RU": "RUMOW", "KZ": "KZALA", "MN": "MNULN",
}  # fmt: skip

# Border crossings for trucks from neighbouring countries (loading side).
ROAD_PORTS: dict[str, str] = {
    "VN": "VNLSN", "MM": "MMMSE", "LA": "LABOT", "HK": "HKHKG", "MO": "MOMFM", "RU": "RUZBK", "MN": "MNZMU",
    "KZ": "KZNUR",
}  # fmt: skip

# Share of an origin's non-bulk goods that come by road or by rail (the rest by sea or air).
LAND_SHARE: dict[str, tuple[float, float]] = {
    "VN": (0.25, 0.0), "MM": (0.7, 0.0), "LA": (0.8, 0.0), "HK": (0.35, 0.0), "MO": (0.9, 0.0),
    "RU": (0.15, 0.25), "MN": (0.6, 0.4), "KZ": (0.3, 0.7), "DE": (0.0, 0.07), "PL": (0.0, 0.3),
    "NL": (0.0, 0.04), "FR": (0.0, 0.04), "IT": (0.0, 0.04), "ES": (0.0, 0.03), "CZ": (0.0, 0.3),
    "BE": (0.0, 0.04),
}  # fmt: skip

# Transshipment hubs by region for sea cargo: (probability of direct call, hubs, hub weights).
SEA_TRANSIT: dict[str, tuple[float, tuple[str, ...], tuple[float, ...]]] = {
    "europe": (0.45, ("SGSIN", "LKCMB", "MYPKG", "MYTPP", "AEJEA"), (0.4, 0.2, 0.2, 0.1, 0.1)),
    "namerica": (0.7, ("KRPUS", "JPTYO", "TWKHH"), (0.6, 0.2, 0.2)),
    "latam": (0.4, ("SGSIN", "KRPUS", "PABLB", "MXZLO", "PAMIT"), (0.35, 0.3, 0.2, 0.1, 0.05)),
    "mideast": (0.7, ("SGSIN", "MYPKG"), (0.6, 0.4)),
    "africa": (0.3, ("SGSIN", "MYPKG", "LKCMB"), (0.5, 0.3, 0.2)),
    "seasia": (0.8, ("SGSIN", "HKHKG"), (0.4, 0.6)),
    "sasia": (0.5, ("SGSIN", "MYPKG", "LKCMB"), (0.5, 0.3, 0.2)),
    "neasia": (0.9, ("KRPUS", "HKHKG"), (0.5, 0.5)),
    "casia": (0.5, ("TRMER", "AEJEA"), (0.5, 0.5)),
    "oceania": (0.75, ("SGSIN", "HKHKG"), (0.5, 0.5)),
}
AIR_TRANSIT: tuple[tuple[str, ...], tuple[float, ...]] = (
    ("HKHKG", "AEDXB", "DEFRA", "QADOH", "SGSIN", "KRSEL"),
    (0.3, 0.2, 0.15, 0.15, 0.1, 0.1),
)


@dataclass(frozen=True)
class Office:
    """A customs district as the generator uses it: where declarations are lodged."""

    code: str  # graph.reference.DISTRICTS code
    prefix: str  # first four digits of its declaration numbers
    weight: float  # share of the country's import declarations
    sea: tuple[str, ...] = ()  # discharge seaports
    air: tuple[str, ...] = ()  # cargo airports
    rail: tuple[str, ...] = ()  # rail terminals
    road: dict[str, str] = field(default_factory=dict)  # neighbour country -> border crossing


OFFICES: tuple[Office, ...] = (
    Office("CD-SHANGHAI", "2201", 22.0, sea=("CNSHA",), air=("CNPVG",)),
    Office("CD-NINGBO", "3101", 11.0, sea=("CNNGB",), air=("CNNGB",)),
    Office("CD-SHENZHEN", "5301", 11.0, sea=("CNYTN", "CNSHK"), air=("CNSZX",), road={"HK": "CNSZX"}),
    Office("CD-HUANGPU", "5201", 7.0, sea=("CNHUA",)),
    Office("CD-GUANGZHOU", "5101", 5.0, sea=("CNNSA",), air=("CNCAN",)),
    Office("CD-QINGDAO", "4201", 7.0, sea=("CNTAO",), air=("CNTAO",)),
    Office("CD-TIANJIN", "0201", 7.0, sea=("CNTXG",), air=("CNTSN",)),
    Office("CD-DALIAN", "0901", 3.5, sea=("CNDLC",), air=("CNDLC",)),
    Office("CD-XIAMEN", "3701", 3.5, sea=("CNXMN",), air=("CNXMN",)),
    Office("CD-BEIJING", "0101", 3.0, air=("CNPEK", "CNPKX")),
    Office("CD-NANJING", "2301", 2.5, sea=("CNNKG", "CNTAG"), air=("CNNKG",)),
    Office("CD-HANGZHOU", "2901", 1.8, air=("CNHGH",)),
    Office("CD-FUZHOU", "3501", 1.5, sea=("CNFOC",)),
    Office("CD-NANNING", "7201", 1.3, sea=("CNFAN", "CNQZH"), road={"VN": "CNPXG"}),
    Office("CD-KUNMING", "8601", 0.9, air=("CNKMG",), road={"MM": "CNRLI", "LA": "CNMOH", "VN": "CNHKO"}),
    Office("CD-CHONGQING", "8001", 1.0, air=("CNCKG",), rail=("CNCKG",)),
    Office("CD-CHENGDU", "7901", 1.0, air=("CNCTU",), rail=("CNCTU",)),
    Office("CD-ZHENGZHOU", "4601", 0.8, air=("CNCGO",), rail=("CNCGO",)),
    Office("CD-XIAN", "9001", 0.6, air=("CNXIY",), rail=("CNXIY",)),
    Office("CD-WUHAN", "4701", 0.8, air=("CNWUH",), rail=("CNWUH",)),
    Office("CD-HEFEI", "3301", 0.5, air=("CNHFE",)),
    Office("CD-CHANGSHA", "4901", 0.5, air=("CNCSX",)),
    Office("CD-MANCHURIA", "0601", 0.5, rail=("CNNZH",), road={"RU": "CNNZH"}),
    Office("CD-URUMUQI", "9401", 0.3, rail=("CNAKA",), road={"KZ": "CNKHG"}),
    Office("CD-HUHHOT", "0701", 0.2, road={"MN": "CNERL"}, rail=("CNERL",)),
    Office("CD-GONGBEI", "5701", 0.4, road={"MO": "CNZUH"}),
    Office("CD-SHANTOU", "6001", 0.4, sea=("CNSWA",)),
    Office("CD-ZHANJIANG", "6701", 0.4, sea=("CNZJG",)),
    Office("CD-JIANGMEN", "6801", 0.3, sea=("CNJMN",)),
    Office("CD-HAIKOU", "6401", 0.4, sea=("CNHAK",), air=("CNHAK",)),
    Office("CD-SHENYANG", "0801", 0.3, air=("CNSHE",)),
    Office("CD-CHANGCHUN", "1501", 0.2, air=("CNCGQ",)),
    Office("CD-HARBIN", "1901", 0.2, air=("CNHRB",)),
    Office("CD-SHIJIAZHUANG", "0401", 0.15, air=("CNSJW",)),
    Office("CD-TAIYUAN", "0501", 0.1, air=("CNTYN",)),
    Office("CD-NANCHANG", "4001", 0.15, air=("CNKHN",)),
    Office("CD-GUIYANG", "8301", 0.1, air=("CNKWE",)),
    Office("CD-LANZHOU", "9601", 0.05, air=("CNLHW",)),
    Office("CD-YINCHUAN", "9501", 0.03, air=("CNINC",)),
    Office("CD-XINING", "9701", 0.02, air=("CNXNN",)),
    Office("CD-LASA", "8801", 0.02, air=("CNLXA",)),
)


@dataclass(frozen=True)
class City:
    """Where importers are registered: districts with their administrative codes, streets and phone area code."""

    name: str
    office: str
    weight: float
    area: str  # telephone area code without the trunk 0
    districts: tuple[tuple[str, str], ...]  # (district name, 6-digit administrative division code)
    streets: tuple[str, ...]


CITIES: tuple[City, ...] = (
    City("Shanghai", "CD-SHANGHAI", 20, "21",
         (("Pudong New Area", "310115"), ("Huangpu District", "310101"), ("Xuhui District", "310104"),
          ("Changning District", "310105"), ("Jing'an District", "310106"), ("Putuo District", "310107"),
          ("Hongkou District", "310109"), ("Minhang District", "310112"), ("Baoshan District", "310113"),
          ("Jiading District", "310114"), ("Songjiang District", "310117"), ("Qingpu District", "310118")),
         ("Huaihai", "Nanjing West", "Zhangjiang", "Century", "Yanggao North", "Jilong", "Hongqiao", "Siping",
          "Changshou", "Caoxi North", "Wuzhong", "Zhaojiabang", "Gonghexin", "Jiangchang West", "Futexi No. 1",
          "Pudong South", "Xiangcheng", "Yishan", "Tianshan", "Guoshoujing")),
    City("Ningbo", "CD-NINGBO", 9, "574",
         (("Yinzhou District", "330212"), ("Beilun District", "330206"), ("Haishu District", "330203"),
          ("Jiangbei District", "330205"), ("Zhenhai District", "330211")),
         ("Tiantong South", "Mingzhou", "Siming Middle", "Baizhang", "Xinda", "Huashan", "Zhongshan East",
          "Ningchuan", "Jinhui", "Lushan East")),
    City("Shenzhen", "CD-SHENZHEN", 10, "755",
         (("Futian District", "440304"), ("Nanshan District", "440305"), ("Luohu District", "440303"),
          ("Bao'an District", "440306"), ("Longgang District", "440307"), ("Yantian District", "440308")),
         ("Shennan", "Binhe", "Keyuan", "Nanhai", "Houhai", "Xinsha", "Bao'an", "Longgang", "Yitian",
          "Caitian", "Huaqiang North", "Mintian", "Shekou Industrial")),
    City("Guangzhou", "CD-GUANGZHOU", 6, "20",
         (("Tianhe District", "440106"), ("Yuexiu District", "440104"), ("Haizhu District", "440105"),
          ("Baiyun District", "440111"), ("Nansha District", "440115")),
         ("Tianhe", "Huangpu Avenue West", "Zhujiang East", "Huanshi East", "Jiefang North", "Xingang East",
          "Linjiang", "Huacheng", "Jinsui", "Gangqian")),
    City("Dongguan", "CD-HUANGPU", 4, "769",
         (("Humen Town", "441900"), ("Chang'an Town", "441900"), ("Songshan Lake", "441900")),
         ("Dongguan Avenue", "Hongfu", "Yinfeng", "Humen Avenue", "Zhen'an Middle", "Industrial East")),
    City("Huangpu", "CD-HUANGPU", 3, "20",
         (("Huangpu District", "440112"),),
         ("Kaichuang", "Kexue", "Huangpu East", "Gangwan", "Xiangxue")),
    City("Qingdao", "CD-QINGDAO", 7, "532",
         (("Shinan District", "370202"), ("Shibei District", "370203"), ("Huangdao District", "370211"),
          ("Laoshan District", "370212"), ("Chengyang District", "370214")),
         ("Hong Kong Middle", "Xianggang East", "Zhangzhou", "Ningxia", "Qianwangang", "Changjiang Middle",
          "Songling", "Jiaozhou Bay")),
    City("Tianjin", "CD-TIANJIN", 6, "22",
         (("Binhai New Area", "120116"), ("Heping District", "120101"), ("Hexi District", "120103"),
          ("Nankai District", "120104")),
         ("Xingang", "Dagu North", "Nanjing", "Youyi", "Binhai", "Huanghai", "Tianbao")),
    City("Beijing", "CD-BEIJING", 4, "10",
         (("Chaoyang District", "110105"), ("Haidian District", "110108"), ("Dongcheng District", "110101"),
          ("Shunyi District", "110113"), ("Fengtai District", "110106")),
         ("Jianguo", "Chaoyang North", "Zhongguancun", "Dongsanhuan North", "Jinrong", "Tianzhu", "Xueyuan")),
    City("Dalian", "CD-DALIAN", 3, "411",
         (("Zhongshan District", "210202"), ("Xigang District", "210203"), ("Jinzhou District", "210213")),
         ("Renmin", "Zhongshan", "Gangwan", "Huanghe", "Jinma")),
    City("Xiamen", "CD-XIAMEN", 3, "592",
         (("Siming District", "350203"), ("Huli District", "350206"), ("Haicang District", "350205")),
         ("Lujiang", "Hubin South", "Xiahe", "Xiangyun", "Haicang Avenue")),
    City("Suzhou", "CD-NANJING", 3, "512",
         (("Suzhou Industrial Park", "320571"), ("Wuzhong District", "320506"), ("Huqiu District", "320505")),
         ("Xinghu", "Suhong Middle", "Xinghai", "Changjiang", "Jinji Lake", "Fengqi")),
    City("Nanjing", "CD-NANJING", 1.5, "25",
         (("Gulou District", "320106"), ("Jianye District", "320105"), ("Jiangning District", "320115")),
         ("Zhongshan North", "Hanzhong", "Jiangdong Middle", "Shengtai")),
    City("Hangzhou", "CD-HANGZHOU", 2, "571",
         (("Xihu District", "330106"), ("Binjiang District", "330108"), ("Xiaoshan District", "330109")),
         ("Wensan", "Jiangnan Avenue", "Qianjiang", "Binsheng", "Shixin North")),
    City("Fuzhou", "CD-FUZHOU", 1.3, "591",
         (("Gulou District", "350102"), ("Mawei District", "350105")),
         ("Wusi", "Jiangbin", "Mawei Avenue", "Hudong")),
    City("Nanning", "CD-NANNING", 1.0, "771",
         (("Qingxiu District", "450103"), ("Xixiangtang District", "450107")),
         ("Minzu Avenue", "Jinhu", "Youai North", "Zhuxi")),
    City("Pingxiang", "CD-NANNING", 0.3, "771",
         (("Pingxiang City", "451481"),),
         ("Youyi", "Beidajie", "Zhongxin")),
    City("Kunming", "CD-KUNMING", 0.7, "871",
         (("Guandu District", "530111"), ("Xishan District", "530112")),
         ("Beijing", "Dianchi", "Guanshang", "Chuncheng")),
    City("Ruili", "CD-KUNMING", 0.2, "692",
         (("Ruili City", "533102"),),
         ("Jiegao", "Nanmao", "Ruihong")),
    City("Chongqing", "CD-CHONGQING", 1.0, "23",
         (("Yubei District", "500112"), ("Jiangbei District", "500105")),
         ("Jinkai Avenue", "Huangshan", "Jianxin North")),
    City("Chengdu", "CD-CHENGDU", 1.0, "28",
         (("Wuhou District", "510107"), ("Qingbaijiang District", "510113")),
         ("Tianfu", "Renmin South", "Yihe")),
    City("Zhengzhou", "CD-ZHENGZHOU", 0.8, "371",
         (("Jinshui District", "410105"), ("Zhengdong New Area", "410171")),
         ("Jinshui", "Huayuan", "Shangwu Inner Ring")),
    City("Xi'an", "CD-XIAN", 0.6, "29",
         (("Yanta District", "610113"), ("Baqiao District", "610111")),
         ("Gaoxin", "Chang'an South", "Gangwu")),
    City("Wuhan", "CD-WUHAN", 0.8, "27",
         (("Jianghan District", "420103"), ("Wuchang District", "420106")),
         ("Jianghan", "Zhongbei", "Hongshan")),
    City("Zhuhai", "CD-GONGBEI", 0.4, "756",
         (("Xiangzhou District", "440402"), ("Hengqin", "440404")),
         ("Jiuzhou Avenue", "Yingbin South", "Huandao East")),
    City("Manzhouli", "CD-MANCHURIA", 0.4, "470",
         (("Manzhouli City", "150781"),),
         ("Sanbei", "Hulun", "Shulin")),
    City("Hefei", "CD-HEFEI", 0.5, "551",
         (("Shushan District", "340104"),), ("Changjiang West", "Huangshan")),
    City("Changsha", "CD-CHANGSHA", 0.5, "731",
         (("Yuelu District", "430104"),), ("Furong Middle", "Lushan")),
    City("Haikou", "CD-HAIKOU", 0.4, "898",
         (("Longhua District", "460106"),), ("Binhai Avenue", "Guomao")),
    City("Shantou", "CD-SHANTOU", 0.4, "754",
         (("Longhu District", "440507"),), ("Jinsha", "Changping")),
    City("Zhanjiang", "CD-ZHANJIANG", 0.3, "759",
         (("Chikan District", "440802"),), ("Renmin Avenue", "Haibin")),
    City("Jiangmen", "CD-JIANGMEN", 0.3, "750",
         (("Pengjiang District", "440703"),), ("Gangkou", "Jianshe")),
    City("Urumqi", "CD-URUMUQI", 0.3, "991",
         (("Tianshan District", "650102"),), ("Renmin", "Xinhua North")),
    City("Harbin", "CD-HARBIN", 0.2, "451",
         (("Nangang District", "230103"),), ("Zhongshan", "Hongqi Avenue")),
    City("Shenyang", "CD-SHENYANG", 0.3, "24",
         (("Heping District", "210102"),), ("Nanjing South", "Qingnian Avenue")),
    City("Changchun", "CD-CHANGCHUN", 0.2, "431",
         (("Chaoyang District", "220104"),), ("Renmin Avenue", "Ziyou")),
    City("Shijiazhuang", "CD-SHIJIAZHUANG", 0.15, "311",
         (("Chang'an District", "130102"),), ("Zhongshan East",)),
    City("Taiyuan", "CD-TAIYUAN", 0.1, "351", (("Xiaodian District", "140105"),), ("Changfeng",)),
    City("Huhhot", "CD-HUHHOT", 0.1, "471", (("Xincheng District", "150102"),), ("Xinhua Avenue",)),
    City("Nanchang", "CD-NANCHANG", 0.15, "791", (("Honggutan", "360113"),), ("Ganjiang Middle",)),
    City("Guiyang", "CD-GUIYANG", 0.1, "851", (("Guanshanhu District", "520115"),), ("Changling South",)),
    City("Lanzhou", "CD-LANZHOU", 0.05, "931", (("Chengguan District", "620102"),), ("Donggang West",)),
    City("Yinchuan", "CD-YINCHUAN", 0.03, "951", (("Jinfeng District", "640106"),), ("Beijing Middle",)),
    City("Xining", "CD-XINING", 0.02, "971", (("Chengzhong District", "630103"),), ("Wusi West",)),
    City("Lhasa", "CD-LASA", 0.02, "891", (("Chengguan District", "540102"),), ("Beijing Middle",)),
)  # fmt: skip


@dataclass(frozen=True)
class Product:
    """A commodity line with the figures its declarations are drawn from."""

    key: str
    hs: str  # 10-digit national tariff line as declared
    descriptions: tuple[str, ...]  # surface forms used on declarations
    unit: str  # declared quantity unit: kg, pcs, pair, l, unit
    kg_per_unit: float  # net kg per declared unit
    usd_per_kg: float  # median customs value per kg (CIF)
    duty: float  # MFN duty rate
    qty: float  # median declared quantity per declaration
    origins: dict[str, float]  # origin country -> weight
    weight: float  # share of declarations (relative)
    air: float = 0.0  # share flown
    bulk: bool = False  # shipped in bulk under a bill of lading, not containers
    licences: tuple[str, ...] = ()  # licence kinds required
    sensitive: float = 1.0  # how much the inspection targeting likes this line
    premium: dict[str, float] = field(default_factory=dict)  # origin -> price premium factor


PRODUCTS: tuple[Product, ...] = (
    Product("salmon", "0302140000", ("Fresh Atlantic salmon, whole, gutted", "FRESH ATLANTIC SALMON HOG",
            "Chilled salmon (Salmo salar)"), "kg", 1, 9.0, 0.07, 3000,
            {"NO": .6, "CL": .15, "FO": .1, "AU": .1, "GB": .05}, 1.5, air=0.9, licences=("QP",), sensitive=1.2),
    Product("frozen_fish", "0303890090", ("Frozen fish, whole (mackerel)", "FROZEN PACIFIC MACKEREL WR",
            "Frozen whole round fish"), "kg", 1, 1.6, 0.07, 25000,
            {"RU": .4, "NO": .2, "US": .15, "NZ": .1, "PE": .15}, 2.0, licences=("QP",)),
    Product("shrimp", "0306171900", ("Frozen shrimps and prawns, shell-on", "FROZEN VANNAMEI SHRIMP HEAD-ON",
            "Frozen white shrimp"), "kg", 1, 6.5, 0.05, 20000,
            {"EC": .5, "IN": .25, "VN": .1, "AR": .1, "TH": .05}, 2.0, licences=("QP",), sensitive=1.2),
    Product("beef", "0202300090", ("Frozen boneless beef cuts", "FROZEN BONELESS BEEF", "Frozen beef, boneless"),
            "kg", 1, 5.8, 0.12, 24000, {"BR": .45, "AR": .2, "AU": .12, "UY": .13, "NZ": .1}, 2.5,
            licences=("QP",), premium={"AU": 1.3}),
    Product("pork", "0203290090", ("Frozen pork cuts", "FROZEN PORK BELLY", "Frozen swine meat cuts"), "kg", 1,
            2.4, 0.12, 25000, {"ES": .4, "BR": .3, "NL": .1, "DK": .1, "CL": .1}, 2.0, licences=("QP",)),
    Product("milk_powder", "0402210000", ("Whole milk powder, 25 kg bags", "WHOLE MILK POWDER 26% FAT",
            "Milk powder, full cream"), "kg", 1, 3.6, 0.10, 20000, {"NZ": .7, "AU": .1, "NL": .1, "FR": .1},
            1.5, licences=("QP",)),
    Product("bananas", "0803901000", ("Fresh bananas", "FRESH CAVENDISH BANANAS", "Bananas, fresh"), "kg", 1,
            0.65, 0.10, 20000, {"PH": .5, "VN": .2, "EC": .2, "KH": .1}, 1.0, licences=("QP",)),
    Product("durian", "0810600000", ("Fresh durians", "FRESH DURIAN MONTHONG", "Durian, fresh"), "kg", 1, 5.0,
            0.20, 18000, {"TH": .8, "VN": .15, "MY": .05}, 1.0, licences=("QP",)),
    Product("tropical_fruit", "0810909090", ("Fresh tropical fruit (longan, mangosteen)", "FRESH LONGAN",
            "Fresh mangosteen"), "kg", 1, 1.8, 0.20, 15000, {"TH": .4, "VN": .3, "MM": .15, "LA": .15}, 0.8,
            licences=("QP",)),
    Product("coffee_green", "0901110000", ("Green coffee beans, not roasted", "GREEN COFFEE ARABICA GR.2",
            "Coffee beans, raw, not decaffeinated"), "kg", 1, 4.6, 0.08, 18000,
            {"BR": .35, "VN": .2, "CO": .2, "ET": .15, "ID": .1}, 0.8, licences=("QP",)),
    Product("coffee_roasted", "0901210000", ("Roasted coffee beans, not decaffeinated", "ROASTED COFFEE BEANS 1KG",
            "Coffee, roasted, arabica blend"), "kg", 1, 12.0, 0.15, 5000,
            {"IT": .3, "US": .15, "CH": .1, "DE": .15, "JP": .1, "MY": .1, "VN": .1}, 0.6),
    Product("soybeans", "1201900000", ("Soybeans, not for sowing, in bulk", "YELLOW SOYBEANS IN BULK",
            "Soya beans, whether or not broken"), "kg", 1, 0.45, 0.03, 55_000_000, {"BR": .65, "US": .25, "AR": .1},
            0.4, bulk=True, licences=("AIL", "QP")),
    Product("wine", "2204210000", ("Red wine in bottles of 2 l or less", "RED WINE 750ML X 6",
            "Wine of fresh grapes, bottled"), "l", 1.3, 5.5, 0.14, 9000,
            {"FR": .35, "AU": .2, "CL": .2, "IT": .12, "ES": .08, "US": .05}, 2.0, sensitive=1.5,
            premium={"FR": 1.6, "IT": 1.2, "CL": 0.7, "ES": 0.8}),
    Product("whisky", "2208300000", ("Whisky in bottles", "SCOTCH WHISKY 700ML", "Whiskies, bottled"), "l", 1.4,
            18.0, 0.10, 6000, {"GB": .8, "US": .1, "JP": .1}, 0.6, sensitive=1.5),
    Product("crude", "2709000000", ("Crude petroleum oil", "CRUDE OIL", "Petroleum oils, crude"), "kg", 1, 0.55,
            0.0, 100_000_000, {"SA": .3, "RU": .3, "IQ": .2, "AE": .1, "AO": .1}, 0.2, bulk=True, licences=("AIL",)),
    Product("lube_oil", "2710199100", ("Lubricating base oil", "BASE OIL SN500", "Lubricating oil, base stock"),
            "kg", 1, 1.4, 0.06, 20000, {"SG": .3, "KR": .3, "US": .2, "AE": .1, "DE": .1}, 0.8),
    Product("iron_ore", "2601111000", ("Iron ore fines, non-agglomerated", "IRON ORE FINES 62% FE",
            "Iron ores and concentrates"), "kg", 1, 0.105, 0.0, 150_000_000, {"AU": .65, "BR": .25, "ZA": .1}, 0.4,
            bulk=True, licences=("AIL",)),
    Product("copper", "7403111000", ("Refined copper cathodes", "COPPER CATHODES GRADE A",
            "Cathodes of refined copper"), "kg", 1, 9.2, 0.01, 100000,
            {"CL": .4, "PE": .15, "CD": .15, "JP": .1, "KZ": .1, "ZM": .1}, 0.8),
    Product("stainless", "7219340000", ("Cold-rolled stainless steel sheet, 0.5-1 mm", "STAINLESS STEEL CR COIL 304",
            "Flat-rolled stainless steel, cold-rolled"), "kg", 1, 2.3, 0.06, 50000,
            {"JP": .2, "KR": .25, "ID": .25, "DE": .1, "TW": .1, "MY": .05, "VN": .05}, 0.6),
    Product("pom", "3907100000", ("Polyoxymethylene (POM) copolymer, primary form", "POM COPOLYMER GRANULES",
            "Polyacetal resin"), "kg", 1, 2.2, 0.065, 20000,
            {"US": .15, "DE": .15, "JP": .2, "TW": .2, "KR": .15, "MY": .1, "TH": .05}, 0.5),
    Product("phenol", "2907111000", ("Phenol (hydroxybenzene), purity 99% or more", "PHENOL 99.9% MIN",
            "Phenol, in bulk"), "kg", 1, 1.1, 0.055, 30000,
            {"US": .15, "KR": .3, "JP": .15, "TH": .15, "NL": .1, "SA": .1, "SG": .05}, 0.4),
    Product("polyethylene", "3901100090", ("Low-density polyethylene granules", "LDPE GRANULES FILM GRADE",
            "Polyethylene, specific gravity < 0.94"), "kg", 1, 1.15, 0.065, 50000,
            {"SA": .3, "AE": .2, "SG": .15, "KR": .15, "US": .1, "TH": .1}, 1.5),
    Product("medicines", "3004909099", ("Medicaments in measured doses for retail sale", "PHARMACEUTICAL TABLETS",
            "Medicines, packaged for retail sale"), "kg", 1, 180.0, 0.04, 500,
            {"DE": .25, "US": .2, "CH": .15, "FR": .1, "IE": .1, "IT": .1, "GB": .1}, 1.2, air=0.6,
            licences=("IDL",)),
    Product("cosmetics", "3304990099", ("Skin care preparations (cream, serum)", "FACE CREAM 50ML",
            "Beauty and skin care preparations"), "kg", 1, 45.0, 0.05, 2000,
            {"FR": .3, "KR": .25, "JP": .2, "US": .15, "IT": .1}, 2.0, air=0.3, sensitive=1.4,
            premium={"FR": 1.4, "KR": 0.7}),
    Product("tshirts", "6109100090", ("Cotton T-shirts, knitted", "MEN'S COTTON T-SHIRT", "T-shirts of cotton"),
            "pcs", 0.2, 22.0, 0.08, 10000, {"VN": .35, "BD": .2, "KH": .1, "IT": .1, "TR": .1, "IN": .15}, 1.5,
            premium={"IT": 2.5}),
    Product("shoes_leather", "6403990090", ("Leather footwear, men's shoes", "MEN'S LEATHER SHOES",
            "Footwear with leather uppers"), "pair", 0.9, 38.0, 0.10, 2000,
            {"IT": .3, "VN": .3, "ID": .15, "ES": .1, "PT": .1, "IN": .05}, 1.2, sensitive=1.3,
            premium={"IT": 2.0, "ES": 1.3}),
    Product("shoes_sport", "6404110000", ("Sports footwear with textile uppers", "RUNNING SHOES",
            "Sports shoes, textile uppers, rubber soles"), "pair", 0.7, 18.0, 0.08, 5000,
            {"VN": .6, "ID": .3, "KH": .1}, 1.5),
    Product("shoe_parts", "6406100000", ("Shoe uppers and parts thereof", "SHOE UPPERS", "Parts of footwear, uppers"),
            "kg", 1, 15.0, 0.06, 3000, {"VN": .4, "IT": .2, "ID": .2, "IN": .2}, 0.3),
    Product("handbags", "4202210000", ("Handbags with outer surface of leather", "LADIES LEATHER HANDBAG",
            "Leather handbags"), "pcs", 0.9, 160.0, 0.10, 600, {"IT": .45, "FR": .35, "ES": .1, "US": .1}, 0.7,
            air=0.5, sensitive=1.5, premium={"FR": 1.5}),
    Product("watches", "9102110000", ("Wrist watches, electric, mechanical display", "QUARTZ WRIST WATCH",
            "Wrist-watches, battery powered"), "pcs", 0.1, 1800.0, 0.08, 2000, {"CH": .6, "JP": .3, "DE": .1}, 0.6,
            air=0.85, sensitive=1.5, premium={"CH": 1.8, "JP": 0.5}),
    Product("laptops", "8471300000", ("Portable computers (laptops)", "NOTEBOOK COMPUTER 14 INCH",
            "Laptop computers"), "pcs", 2.2, 230.0, 0.0, 2000,
            {"VN": .3, "TW": .2, "MY": .2, "TH": .1, "US": .1, "JP": .1}, 1.5, air=0.5, licences=("CCC",)),
    Product("phones", "8517130000", ("Smartphones", "SMART PHONE 128GB", "Mobile phones, smartphones"), "pcs", 0.25,
            2400.0, 0.0, 3000, {"VN": .45, "IN": .25, "KR": .15, "US": .1, "JP": .05}, 1.5, air=0.7,
            licences=("CCC",)),
    Product("chips", "8542319000", ("Integrated circuits, processors and controllers", "IC CHIPS MCU",
            "Electronic integrated circuits, processors"), "kg", 1, 12000.0, 0.0, 50,
            {"TW": .35, "KR": .25, "MY": .15, "JP": .1, "US": .1, "VN": .05}, 2.5, air=0.9),
    Product("monitors", "8528520000", ("LCD computer monitors", "LCD MONITOR 27 INCH", "Monitors for ADP machines"),
            "pcs", 5.0, 22.0, 0.0, 1000, {"VN": .3, "KR": .3, "MY": .2, "JP": .1, "MX": .1}, 0.7),
    Product("tvs", "8528721100", ("LCD colour television receivers", "LED TV 55 INCH", "Colour television sets, LCD"),
            "pcs", 14.0, 20.0, 0.15, 400, {"KR": .35, "JP": .25, "VN": .2, "MX": .1, "MY": .1}, 0.4,
            licences=("CCC",)),
    Product("machinery", "8479899990", ("Machines with individual functions, n.e.s.", "AUTOMATIC ASSEMBLY MACHINE",
            "Industrial machines, n.e.s."), "unit", 800.0, 45.0, 0.05, 4,
            {"DE": .35, "JP": .3, "IT": .15, "US": .1, "KR": .1}, 2.0),
    Product("auto_parts", "8708999990", ("Parts and accessories of motor vehicles", "AUTO PARTS",
            "Motor vehicle parts, n.e.s."), "kg", 1, 16.0, 0.06, 5000,
            {"DE": .35, "JP": .3, "US": .1, "MX": .1, "KR": .1, "CZ": .05}, 2.0),
    Product("cars", "8703234190", ("Passenger cars, spark-ignition, 1500-3000 cc", "PASSENGER CAR 2.0L",
            "Motor cars for the transport of persons"), "unit", 1650.0, 28.0, 0.15, 20,
            {"DE": .45, "JP": .25, "US": .1, "GB": .1, "SE": .1}, 0.8, licences=("AIL", "CCC"), sensitive=1.4,
            premium={"GB": 1.5}),
    Product("medical", "9018908000", ("Medical and surgical instruments and appliances", "SURGICAL INSTRUMENTS",
            "Medical devices, n.e.s."), "kg", 1, 260.0, 0.04, 300, {"DE": .3, "US": .3, "JP": .2, "CH": .1, "IE": .1},
            0.8, air=0.5, licences=("MDR",)),
    Product("logs", "4403210000", ("Coniferous logs, pine", "RADIATA PINE LOGS", "Wood in the rough, pine"), "kg",
            1, 0.2, 0.0, 400000, {"NZ": .5, "RU": .2, "US": .1, "DE": .1, "AU": .1}, 0.5, licences=("QP",)),
)  # fmt: skip

# Anti-dumping duties in force (product key -> (countries, extra duty rate)).
ANTI_DUMPING: dict[str, tuple[tuple[str, ...], float]] = {
    "stainless": (("JP", "KR", "ID", "DE"), 0.2),
    "pom": (("US", "DE", "JP", "TW"), 0.35),
    "phenol": (("US", "KR", "JP", "TH", "NL"), 0.2),
}

# (carrier code, container owner prefixes, weight)
SEA_CARRIERS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("MSCU", ("MSCU", "MEDU", "MSDU"), 18),
    ("MAEU", ("MAEU", "MSKU", "MRKU"), 14),
    ("CMDU", ("CMAU", "CGMU"), 12),
    ("COSU", ("CSNU", "CBHU", "CCLU"), 13),
    ("EGLV", ("EGHU", "EISU", "EMCU"), 7),
    ("HLCU", ("HLXU", "HLBU"), 7),
    ("ONEY", ("ONEU", "NYKU"), 6),
    ("OOLU", ("OOLU", "OOCU"), 6),
    ("YMLU", ("YMLU", "YMMU"), 4),
    ("HDMU", ("HDMU",), 4),
    ("ZIMU", ("ZIMU", "ZCSU"), 3),
    ("WHLC", ("WHLU", "WHSU"), 3),
    ("PABV", ("PCIU",), 2),
    ("SITC", ("SITU",), 2),
)
LEASING_PREFIXES = ("TGHU", "TCNU", "TEMU", "CAIU", "FCIU", "SEGU", "BMOU", "GESU", "TRHU", "DFSU")
# (airline code, air waybill prefix, weight)
AIR_CARRIERS: tuple[tuple[str, str, float], ...] = (
    ("CA", "999", 14), ("MU", "781", 12), ("CZ", "784", 12), ("CX", "160", 10), ("LH", "020", 7),
    ("EK", "176", 7), ("QR", "157", 6), ("SQ", "618", 5), ("KE", "180", 5), ("FX", "023", 8), ("5X", "406", 6),
    ("AF", "057", 4), ("O3", "880", 4),
)  # fmt: skip
RAIL_CARRIERS: tuple[str, ...] = ("CRCT", "CRIEC", "RZDL", "KTZE")
POST_CARRIERS: tuple[str, ...] = ("CNPOST", "EMS", "DHL", "UPS")

TRADE_MODES: tuple[str, ...] = (
    "general trade",
    "processing trade",
    "bonded logistics",
    "cross-border e-commerce",
    "feed processing",
)
TRANSPORT_MODES: tuple[str, ...] = ("sea", "air", "road", "rail", "post")
