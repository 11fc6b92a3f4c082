-- The bare PostgreSQL ceiling of one accepted reader scan: the one statement the ingest sends
-- (kiemdich.scans.statements.accept_sql: the person with their state, the visit rule, the
-- scan with its nonce, the visit's insert or close), without Python. bench/run.py
-- (pgbench_script) puts that statement, as the code writes it for today, after these lines,
-- with pgbench's variables and expressions where the server binds parameters.
-- Variables (pgbench -D): vmin/vmax venue ids, pmin/pmax person ids.
\set venue random(:vmin, :vmax)
\set person random(:pmin, :pmax)
