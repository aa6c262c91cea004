-- The schema as navplugin created it before migrations (metadata.create_all of the release before
-- Alembic), for the tests that upgrade such a database in place.
CREATE TABLE audit_log (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	actor VARCHAR(64) NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	target VARCHAR(128), 
	version INTEGER, 
	details TEXT NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE datasets (
	version INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	source VARCHAR(16) NOT NULL, 
	file_name VARCHAR(255), 
	uploaded_by VARCHAR(64), 
	total_rows INTEGER NOT NULL, 
	store_count INTEGER NOT NULL, 
	report TEXT NOT NULL, 
	base_version INTEGER, 
	note TEXT, 
	PRIMARY KEY (version)
);

CREATE TABLE geocode_cache (
	provider VARCHAR(32) NOT NULL, 
	"key" VARCHAR(512) NOT NULL, 
	found INTEGER NOT NULL, 
	lon FLOAT, 
	lat FLOAT, 
	precision VARCHAR(16), 
	matched TEXT, 
	entrance_lon FLOAT, 
	entrance_lat FLOAT, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (provider, "key")
);

CREATE TABLE store_overrides (
	store_id VARCHAR(64) NOT NULL, 
	fields TEXT NOT NULL, 
	revoked INTEGER DEFAULT '0' NOT NULL, 
	reason TEXT NOT NULL, 
	updated_by VARCHAR(64) NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (store_id)
);

CREATE TABLE uploads (
	id INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	source VARCHAR(16) NOT NULL, 
	file_name VARCHAR(255), 
	uploaded_by VARCHAR(64), 
	skip_invalid INTEGER NOT NULL, 
	total_rows INTEGER NOT NULL, 
	row_count INTEGER NOT NULL, 
	done INTEGER NOT NULL, 
	failed INTEGER NOT NULL, 
	started_at DATETIME, 
	finished_at DATETIME, 
	owner VARCHAR(128), 
	heartbeat DATETIME, 
	version INTEGER, 
	error TEXT, 
	report TEXT NOT NULL, 
	mode VARCHAR(8) DEFAULT 'replace' NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE live_dataset (
	id INTEGER NOT NULL, 
	version INTEGER NOT NULL, 
	activated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(version) REFERENCES datasets (version)
);

CREATE TABLE stores (
	version INTEGER NOT NULL, 
	id VARCHAR(64) NOT NULL, 
	name TEXT NOT NULL, 
	category TEXT, 
	address TEXT, 
	jibun_address TEXT, 
	phone VARCHAR(64), 
	certified_year INTEGER, 
	founded_year INTEGER, 
	region TEXT, 
	lon FLOAT NOT NULL, 
	lat FLOAT NOT NULL, 
	provider VARCHAR(32) NOT NULL, 
	precision VARCHAR(16) NOT NULL, 
	extra TEXT NOT NULL, 
	entrance_lon FLOAT, 
	entrance_lat FLOAT, 
	district_check VARCHAR(16) DEFAULT 'unchecked' NOT NULL, 
	overridden TEXT DEFAULT '{}' NOT NULL, 
	PRIMARY KEY (version, id), 
	FOREIGN KEY(version) REFERENCES datasets (version)
);

CREATE TABLE upload_rows (
	upload_id INTEGER NOT NULL, 
	line INTEGER NOT NULL, 
	"row" TEXT NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	lon FLOAT, 
	lat FLOAT, 
	provider VARCHAR(32), 
	precision VARCHAR(16), 
	entrance_lon FLOAT, 
	entrance_lat FLOAT, 
	district_check VARCHAR(16), 
	reason TEXT, 
	PRIMARY KEY (upload_id, line), 
	FOREIGN KEY(upload_id) REFERENCES uploads (id)
);
