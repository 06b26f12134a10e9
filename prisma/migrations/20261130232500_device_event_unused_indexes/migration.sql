-- Issue 12: the QoS1 event path. No query of the hub reads DeviceEvent by (deviceId, receivedAt)
-- or (type, receivedAt) — a device's events are found through the unique (deviceId, eventId)
-- index, time ranges (the replay) through the BRIN index on receivedAt — while each index cost
-- PostgreSQL ≈ 2–3 µs of CPU per stored event.

-- DropIndex
DROP INDEX "DeviceEvent_deviceId_receivedAt_idx";

-- DropIndex
DROP INDEX "DeviceEvent_type_receivedAt_idx";
