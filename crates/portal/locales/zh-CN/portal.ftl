# FentGuard 门户，简体中文。与 en 共用同一组消息标识。
skip-to-content = 跳到正文
nav-label = 主导航
nav-home = 首页
nav-check = 查询化学品
nav-api = 接口文档
language-label = 语言
footer-version = FentGuard { $version }
footer-offline = 本页所有内容均由本 FentGuard 系统提供，不从互联网获取任何资源。

landing-title = 芬太尼类物质及其前体化学品管制
landing-lead = FentGuard 可根据结构、CAS 号或名称判断某一化学品是否受管制、在何处受管制、自何时起受管制以及理由；在风险评估和进口国主管机关答复后办理出口许可；并追踪每一千克的流向。
landing-law-title = 法规数据化
landing-law = 中国芬太尼类物质的结构定义、美国的类别定义以及带日期的麻醉药品和易制毒化学品目录，逐个原子适用。
landing-licensing-title = 许可
landing-licensing = 出口申请及法定审查时限、向进口国主管机关发出的出口前通知、海关可验证的签名许可证。
landing-tracking-title = 追溯
landing-tracking = 每一次流转均记录为 GS1 EPCIS 2.0 事件，并对每个事件适用法规。
landing-start = 从这里开始
landing-api = 接口文档（供与 FentGuard 对接的系统使用）

check-title = 查询化学品
check-input-label = 名称、CAS 号、InChIKey、SMILES 或 molfile
check-input-hint = 例如：乙酰芬太尼、3258-84-2、枸橼酸芬太尼，或 CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1
check-date-label = 适用哪一天的法规（留空为今天）
check-submit = 查询
check-bad-date = “{ $date }”不是日期（请使用日期选择器或 YYYY-MM-DD 格式）。
check-too-large = 该结构超出 FentGuard 的判定范围（{ $limit }）。
check-not-recognised = 未能识别，因此未作判定。这不等于“不受管制”：请改为提供其结构（SMILES 或 molfile）。
check-did-you-mean = 您是否要查：
check-answer = 查询结果
check-name = 名称
check-smiles = 结构（规范 SMILES）
check-law-date = 适用法规日期
check-jurisdiction = 法域
check-generic = 类别定义
check-in-force-from = 自 { $date } 起施行
check-conditions = 满足的条件：
check-atoms-caption = 各区域的原子（按输入顺序从 1 编号）
check-region = 区域
check-atoms = 原子
check-flags = 说明：
check-listings = 列管情况
check-list = 目录
check-entry = 条目
check-category = 类别
check-from = 施行日期
check-instrument = 法律文件
check-no-date = 来源未注明日期
check-undetermined-because = 无法判定的原因
check-other-listings = 其他法域的列管
check-notes = 输入解读说明

jurisdiction-CN = 中国
jurisdiction-US = 美国
status-controlled = 受管制
status-undetermined = 无法判定：未作结论，应视为可能受管制
status-not-controlled = 不受管制

api-title = 接口文档
api-lead = FentGuard HTTP 接口的全部操作，与工具读取的接口描述同源生成，描述文件见
api-tags = 接口分类
api-token = 需要令牌：通过 POST /api/v1/auth/login 登录，并以“Authorization: Bearer …”发送。
api-public = 无需令牌。
api-parameters = 参数
api-body = 请求体：
api-responses = 响应
