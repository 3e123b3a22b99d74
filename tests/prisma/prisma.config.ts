// Prisma 6 offline: the WebAssembly schema engine that ships inside the
// `prisma` package, through the pg driver adapter (no native engine to
// download). Copied into the sample repository by
// tests/integration/test_prisma_diagnosis.py and the demo (#17).
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

// The engine arms a 10 s timer from WebAssembly that keeps Node alive after
// the work is done: let the process exit without waiting for it.
const nodeSetTimeout = globalThis.setTimeout;
(globalThis as any).setTimeout = function (callback: any, delay?: number, ...args: any[]) {
  const timer: any = nodeSetTimeout(callback, delay, ...args);
  if ((delay ?? 0) >= 10000 && String(new Error().stack).includes("wasm://")) timer.unref();
  return timer;
};

// The adapter runs a migration statement by statement, split on every `;`,
// outside a transaction: a `$$` body breaks, and a failed migration is left
// half-applied. PostgreSQL runs a multi-statement simple query as one
// implicit transaction, as the native engine does: send the script whole.
class OneScriptPg extends PrismaPg {
  async connect() {
    const adapter: any = await super.connect();
    adapter.executeScript = async (script: string) => {
      try {
        await adapter.underlyingDriver().query(script);
      } catch (error) {
        adapter.onError(error);
      }
    };
    return adapter;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  async adapter() {
    // allowExitOnIdle: the pool's idle clients do not keep Node alive either.
    return new OneScriptPg({ connectionString: process.env.DATABASE_URL, allowExitOnIdle: true });
  },
});
