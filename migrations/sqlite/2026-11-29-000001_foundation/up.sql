-- Foundation: jurisdictions, organisations, users, API tokens and the resource catalogue.
-- Times are UTC in TIMESTAMP columns; money is integer fen; opening times are minutes from local midnight.

CREATE TABLE jurisdictions (
  code TEXT PRIMARY KEY NOT NULL,
  province TEXT NOT NULL CHECK (province IN ('SH', 'JS', 'ZJ', 'AH')),
  level TEXT NOT NULL CHECK (level IN ('province', 'city', 'district')),
  parent_code TEXT REFERENCES jurisdictions (code),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL
);

CREATE TABLE organizations (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('institution', 'enterprise', 'agency')),
  name_en TEXT NOT NULL UNIQUE,
  name_zh TEXT NOT NULL,
  jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
  uscc TEXT UNIQUE,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  organization_id BIGINT REFERENCES organizations (id),
  email TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'operator', 'booker', 'issuer')),
  locale TEXT NOT NULL CHECK (locale IN ('zh-CN', 'en')),
  active BOOLEAN NOT NULL DEFAULT 1,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  CHECK ((role = 'admin') = (organization_id IS NULL))
);
CREATE INDEX users_organization ON users (organization_id, id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  user_id BIGINT NOT NULL REFERENCES users (id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP,
  revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE resources (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  organization_id BIGINT NOT NULL REFERENCES organizations (id),
  kind TEXT NOT NULL CHECK (kind IN ('instrument', 'facility', 'computing')),
  name_en TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  category TEXT NOT NULL,
  specs TEXT NOT NULL,
  search_text TEXT NOT NULL,
  original_value_cny BIGINT NOT NULL CHECK (original_value_cny >= 0),
  jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
  location TEXT NOT NULL,
  timezone TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'retired')),
  status_reason TEXT,
  capacity BIGINT NOT NULL CHECK (capacity >= 1),
  unit TEXT NOT NULL,
  granularity_min INTEGER NOT NULL CHECK (granularity_min >= 1),
  min_duration_min INTEGER NOT NULL,
  max_duration_min INTEGER NOT NULL,
  lead_time_min INTEGER NOT NULL,
  cancel_lead_time_min INTEGER NOT NULL,
  advance_window_days INTEGER NOT NULL,
  setup_min INTEGER NOT NULL,
  teardown_min INTEGER NOT NULL,
  approval_policy TEXT NOT NULL CHECK (approval_policy IN ('auto', 'manual')),
  conflict_policy TEXT NOT NULL CHECK (conflict_policy IN ('first_come', 'operator_choice')),
  requires_qualification BOOLEAN NOT NULL,
  version BIGINT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE INDEX resources_organization ON resources (organization_id, id);
CREATE INDEX resources_jurisdiction ON resources (jurisdiction_code, id);
CREATE INDEX resources_kind ON resources (kind, id);

-- Numeric specifications, one row per key, so that "field_mhz >= 600" is an indexed comparison.
CREATE TABLE resource_specs (
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  key TEXT NOT NULL,
  num_value REAL NOT NULL,
  PRIMARY KEY (resource_id, key)
);
CREATE INDEX resource_specs_key ON resource_specs (key, num_value);

-- The rate card: fen per unit-hour for each customer category.
CREATE TABLE resource_rates (
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  category TEXT NOT NULL CHECK (category IN ('internal', 'academic', 'enterprise')),
  fen_per_unit_hour BIGINT NOT NULL CHECK (fen_per_unit_hour >= 0),
  PRIMARY KEY (resource_id, category)
);

CREATE TABLE resource_operators (
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  user_id BIGINT NOT NULL REFERENCES users (id),
  PRIMARY KEY (resource_id, user_id)
);

CREATE TABLE opening_rules (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  start_min INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
  end_min INTEGER NOT NULL CHECK (end_min BETWEEN 1 AND 1440),
  CHECK (start_min < end_min)
);
CREATE INDEX opening_rules_resource ON opening_rules (resource_id, weekday);

-- A dated exception replaces the weekly rule for that local date; a row without times closes the day.
CREATE TABLE opening_exceptions (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  day DATE NOT NULL,
  start_min INTEGER CHECK (start_min BETWEEN 0 AND 1439),
  end_min INTEGER CHECK (end_min BETWEEN 1 AND 1440),
  reason TEXT NOT NULL,
  CHECK ((start_min IS NULL AND end_min IS NULL) OR start_min < end_min)
);
CREATE INDEX opening_exceptions_resource ON opening_exceptions (resource_id, day);

CREATE TABLE blackouts (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  resource_id BIGINT NOT NULL REFERENCES resources (id),
  start_at TIMESTAMP NOT NULL,
  end_at TIMESTAMP NOT NULL,
  reason TEXT NOT NULL,
  created_by BIGINT NOT NULL REFERENCES users (id),
  created_at TIMESTAMP NOT NULL,
  CHECK (start_at < end_at)
);
CREATE INDEX blackouts_resource ON blackouts (resource_id, start_at);

-- Jurisdictions of the Yangtze River Delta: provinces and their prefecture-level cities (GB/T 2260
-- division codes), plus the county-level cities the demo catalogue names.
INSERT INTO jurisdictions (code, province, level, parent_code, name_en, name_zh) VALUES
('310000','SH','province',NULL,'Shanghai','上海市'),
('320000','JS','province',NULL,'Jiangsu','江苏省'),
('330000','ZJ','province',NULL,'Zhejiang','浙江省'),
('340000','AH','province',NULL,'Anhui','安徽省'),
('310100','SH','city','310000','Shanghai','上海市'),
('320100','JS','city','320000','Nanjing','南京市'),
('320200','JS','city','320000','Wuxi','无锡市'),
('320300','JS','city','320000','Xuzhou','徐州市'),
('320400','JS','city','320000','Changzhou','常州市'),
('320500','JS','city','320000','Suzhou','苏州市'),
('320600','JS','city','320000','Nantong','南通市'),
('320700','JS','city','320000','Lianyungang','连云港市'),
('320800','JS','city','320000','Huai''an','淮安市'),
('320900','JS','city','320000','Yancheng','盐城市'),
('321000','JS','city','320000','Yangzhou','扬州市'),
('321100','JS','city','320000','Zhenjiang','镇江市'),
('321200','JS','city','320000','Taizhou','泰州市'),
('321300','JS','city','320000','Suqian','宿迁市'),
('320583','JS','district','320500','Kunshan','昆山市'),
('330100','ZJ','city','330000','Hangzhou','杭州市'),
('330200','ZJ','city','330000','Ningbo','宁波市'),
('330300','ZJ','city','330000','Wenzhou','温州市'),
('330400','ZJ','city','330000','Jiaxing','嘉兴市'),
('330500','ZJ','city','330000','Huzhou','湖州市'),
('330600','ZJ','city','330000','Shaoxing','绍兴市'),
('330700','ZJ','city','330000','Jinhua','金华市'),
('330800','ZJ','city','330000','Quzhou','衢州市'),
('330900','ZJ','city','330000','Zhoushan','舟山市'),
('331000','ZJ','city','330000','Taizhou','台州市'),
('331100','ZJ','city','330000','Lishui','丽水市'),
('340100','AH','city','340000','Hefei','合肥市'),
('340200','AH','city','340000','Wuhu','芜湖市'),
('340300','AH','city','340000','Bengbu','蚌埠市'),
('340400','AH','city','340000','Huainan','淮南市'),
('340500','AH','city','340000','Ma''anshan','马鞍山市'),
('340600','AH','city','340000','Huaibei','淮北市'),
('340700','AH','city','340000','Tongling','铜陵市'),
('340800','AH','city','340000','Anqing','安庆市'),
('341000','AH','city','340000','Huangshan','黄山市'),
('341100','AH','city','340000','Chuzhou','滁州市'),
('341200','AH','city','340000','Fuyang','阜阳市'),
('341300','AH','city','340000','Suzhou','宿州市'),
('341500','AH','city','340000','Lu''an','六安市'),
('341600','AH','city','340000','Bozhou','亳州市'),
('341700','AH','city','340000','Chizhou','池州市'),
('341800','AH','city','340000','Xuancheng','宣城市');
