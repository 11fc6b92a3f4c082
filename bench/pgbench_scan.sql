-- The bare PostgreSQL ceiling of one accepted scan: the same statements the ingest sends
-- (the reader and its venue, the person with today's declaration, last scan and visit at the
-- venue, the scan with its nonce, the visit) in one transaction, without Python. Variables (pgbench -D):
-- vmin/vmax venue ids, pmin/pmax person ids.
\set venue random(:vmin, :vmax)
\set person random(:pmin, :pmax)
BEGIN;
SELECT d.id, d.venue_id, v.status FROM venues_device d JOIN venues_venue v ON v.id = d.venue_id
 WHERE v.id = :venue LIMIT 1;
SELECT p.id, p.account_id, p.full_name,
  (SELECT has_symptoms FROM declarations_declaration
    WHERE person_id = p.id AND local_date = (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
    ORDER BY id DESC LIMIT 1),
  (SELECT scanned_at FROM scans_scan
    WHERE venue_id = :venue AND person_id = p.id AND accepted
      AND scanned_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') AT TIME ZONE 'Asia/Ho_Chi_Minh'
    ORDER BY scanned_at DESC, id DESC LIMIT 1),
  (SELECT id FROM scans_visit
    WHERE venue_id = :venue AND person_id = p.id
      AND day = (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
    ORDER BY id DESC LIMIT 1)
FROM people_person p WHERE p.id = :person;
WITH s AS (INSERT INTO scans_scan (venue_id, person_id, direction, method, code_format,
  accepted, reason, scanned_at, received_at, nonce, body_digest, device_id, actor_id, response)
VALUES (:venue, :person, 'in', 'device', 'kd_app', true, '', now(), now(), md5(random()::text),
  md5(random()::text), NULL, NULL, '{"result": "ok", "visit": "opened"}')
RETURNING id, venue_id, nonce, scanned_at),
n AS (INSERT INTO scans_scannonce (venue_id, nonce, scan_id, scanned_at)
  SELECT venue_id, nonce, id, scanned_at FROM s)
SELECT id FROM s;
INSERT INTO scans_visit (venue_id, person_id, entered_at, left_at, closes_at, entry_method,
  exit_method, day)
VALUES (:venue, :person, now(), NULL, now() + interval '60 minutes', 'device', '',
  (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date);
END;
