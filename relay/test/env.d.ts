// Values relay/test/services.global-setup.ts and test/receivers.global-setup.ts hand to the tests.
declare module "vitest" {
  export interface ProvidedContext {
    /** postgres://… of the embedded cluster's `postgres` database (wal_level=logical). */
    databaseUrl: string;
    /** Base URL of the Worker under `wrangler dev`. */
    workerUrl: string;
    /** The Worker's ADMIN_TOKEN (.dev.vars.example). */
    adminToken: string;
    /** Base URL of the webhook receiver on 127.0.0.1 (test/receivers.global-setup.ts). */
    receiverUrl: string;
  }
}
export {};
