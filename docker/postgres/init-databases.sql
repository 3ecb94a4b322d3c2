-- Run once by the postgres image, when its data volume is empty, as POSTGRES_USER (hub).
-- The hub's own store is POSTGRES_DB (hub). The three databases below contain the police,
-- prison and justice-bureau stand-ins. In production those are the agencies' own servers.
CREATE DATABASE police;
CREATE DATABASE prison;
CREATE DATABASE correction;
