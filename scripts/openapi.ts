// Writes lib/api/openapi.json, the OpenAPI document the page function serves, from the zod schemas
// (lib/api/openapi.ts) and their descriptions (lib/api/openapi-docs*.ts): built here, at build time,
// so zod-openapi and the descriptions stay out of every function's bundle. `npm run openapi`;
// `npm run package` runs it first, and test/unit/openapi.test.ts fails when the committed file
// differs from what the schemas give.
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../lib/api/openapi.js';

const OPENAPI_JSON = new URL('../lib/api/openapi.json', import.meta.url);

writeFileSync(OPENAPI_JSON, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
