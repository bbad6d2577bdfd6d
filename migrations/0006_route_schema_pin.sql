-- A route may pin a version of a registry subject (the record type): events written with another
-- version of that subject reach the route only when the pinned version can read them; others
-- become P1 dead letters (workers/delivery/schema-pin.ts). NULL = not pinned.
-- JSON {"subject": "customer", "version": 1, "id": 7}: `id` is the schema id the version had
-- when pinned (schemas are immutable, so the delivery check reads schemas by id only).
ALTER TABLE routes ADD COLUMN schema_pin TEXT;
