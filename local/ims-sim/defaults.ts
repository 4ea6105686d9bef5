// Credentials and fixed ids the IMS simulator starts with; tests, `npm start` and `npm run sim` share them.

export const SIM_DEFAULTS = {
  ak: 'SIMAK0000000000000001',
  sk: 'sim-sk-0000000000000000000000000000000001',
  domain: 'sim-domain',
  user: 'sim-user',
  password: 'sim-password',
  projectId: '5e1a4ce8d9a54f0c9a3e7b2f1c6d8e90',
  region: 'eu-de',
  /** Images seeded at every start and reset; each refusal's IMS code is in state.ts (exportRefusal). */
  images: {
    /** Active private 40 GB image imported from a file: exports fine. */
    exportable: '0d3b5b56-5d2f-4b8e-9a51-3c1f0e7a4b01',
    /** Active private 200 GB image: exportable only with is_quick_export (IMG.0160 otherwise). */
    large: '1a7e2c44-8f3b-4d6a-b2c9-5e0f1d3a6b02',
    /** Active private 1024 GB data image: too big to export at all (IMG.0071). */
    huge: '2b8f3d55-9a4c-4e7b-83da-6f1a2e4b7c03',
    /** Full-ECS image (IMG.0128). */
    wholeImage: '3c904e66-ab5d-4f8c-94eb-7a2b3f5c8d04',
    /** ISO image, created from an ISO file (IMG.0081). */
    iso: '4da15f77-bc6e-408d-a5fc-8b3c4a6d9e05',
    /** Private image made from the charged Windows public image (IMG.0079). */
    fromPublicWindows: '5eb26088-cd7f-419e-b60d-9c4d5b7eaf06',
    /** Private image made from a free but non-exportable public image, Ubuntu (IMG.0071). */
    fromPublicUbuntu: '6fc37199-de80-42af-871e-ad5e6c8fb007',
    /** Private image made from a CBR backup (IMG.0080). */
    fromBackup: '70d482aa-ef91-43b0-9821-be6f7d90c108',
    /** A public (gold) image (IMG.0077). */
    publicImage: '81e593bb-f0a2-44c1-a932-cf708ea1d209',
    /** A private image still being created, status `saving` (IMG.0046). */
    notActive: '92f6a4cc-01b3-45d2-ba43-d0819fb2e30a',
  },
  /** ECS ids with a special state; any other UUID is a stopped ECS that can be captured. */
  instances: {
    /** Running, not stopped (IMG.0008). */
    running: 'a1b2c3d4-0000-4000-8000-000000000008',
    /** Has tasks in progress (IMG.0010). */
    busy: 'a1b2c3d4-0000-4000-8000-000000000010',
    /** Does not exist (IMG.0005). */
    missing: 'a1b2c3d4-0000-4000-8000-000000000005',
  },
} as const;

/**
 * The settings of lib/config.ts for an IMS client of the simulator at `url` (password tokens), and
 * OBS on the same origin read with the simulator's AK/SK (the evidence of exports).
 */
export function simulatorClientSettings(url: string): Record<string, string> {
  return {
    OBS_ENDPOINT: url,
    OBS_AK: SIM_DEFAULTS.ak,
    OBS_SK: SIM_DEFAULTS.sk,
    IMS_ENDPOINT: url,
    IAM_ENDPOINT: url,
    IMS_REGION: SIM_DEFAULTS.region,
    IMS_PROJECT_ID: SIM_DEFAULTS.projectId,
    IMS_USER: SIM_DEFAULTS.user,
    IMS_PASSWORD: SIM_DEFAULTS.password,
    IMS_DOMAIN: SIM_DEFAULTS.domain,
  };
}
