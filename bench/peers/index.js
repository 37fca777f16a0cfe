// The peer queues' entry point, resolved from this folder's own node_modules: bench/peers.ts
// installs them here on demand and imports this file (they are not Baton's dependencies).
export { Queue, Worker } from "bullmq";
export { Redis } from "ioredis";
export { PgBoss } from "pg-boss";
