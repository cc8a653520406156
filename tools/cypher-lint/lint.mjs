#!/usr/bin/env node
// Lint Cypher statements with the official Neo4j linter (@neo4j-cypher/language-support, lintCypherQuery).
//
//   node lint.mjs [--schema schema.json] [--versions "CYPHER 5,CYPHER 25"] < statements.json
//
// stdin:    a JSON array of statements (strings).
// --schema: optional JSON file {labels, relationshipTypes, propertyKeys}. With labels AND relationshipTypes
//           given, a label or type outside them is reported (warning); without, that check is off.
// stdout:   a JSON array of diagnostics
//           {statement_index, cypher_version, severity, message, range, offsets}
//           severity is "error" | "warning" | "information" | "hint". Exit code 0 whatever was found
//           (callers decide which severities fail); 2 if the input itself is unusable.
//
// What is checked: syntax, semantic analysis (undefined variables, type errors, wrong argument counts …),
// unknown functions/procedures and deprecated ones (against Neo4j's built-in function and procedure registry
// that the package ships as testData.mockSchema — APOC/GDS entries are dropped, so using them is an error),
// and, with --schema, unknown labels/relationship types. Each statement is linted once per Cypher version.
//
// Speed: the semantic analysis takes ~0.1-0.3 s per statement and version, so statements are spread over
// worker threads (one per CPU, at most 8; --jobs N to choose).
//
// Parameters: the linter reports every $param missing from dbSchema.parameters as an error. An application
// statement gets its parameters at run time, so each statement's own parameters are declared here; the
// Python side (graph/neo4j_store/statements.py `run`) checks that every call supplies exactly those parameters.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

// The package's ESM build uses extension-less relative imports that Node's ESM loader rejects, so load the
// CommonJS build (its "require" export).
const require = createRequire(import.meta.url);
const { lintCypherQuery, parseParameters, testData } = require('@neo4j-cypher/language-support');

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

function parseArgs(argv) {
  const out = { schema: null, versions: ['CYPHER 5', 'CYPHER 25'], jobs: Math.min(availableParallelism(), 8) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--schema') out.schema = argv[++i];
    else if (a === '--versions') out.versions = argv[++i].split(',').map((v) => v.trim()).filter(Boolean);
    else if (a === '--jobs') out.jobs = Math.max(1, parseInt(argv[++i], 10) || 1);
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: node lint.mjs [--schema schema.json] [--versions "CYPHER 5,CYPHER 25"] [--jobs N] < statements.json\n',
      );
      process.exit(0);
    } else {
      process.stderr.write(`lint.mjs: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  return out;
}

function builtinRegistries() {
  const mock = testData?.mockSchema;
  const functions = {};
  const procedures = {};
  if (!mock?.functions || !mock?.procedures) {
    process.stderr.write('lint.mjs: no function/procedure registry in this package version; those checks are off\n');
    return {};
  }
  const thirdParty = (name) => /^(apoc|gds|genai)\./i.test(name);
  for (const [version, fns] of Object.entries(mock.functions)) {
    functions[version] = Object.fromEntries(Object.entries(fns).filter(([, f]) => f.isBuiltIn && !thirdParty(f.name)));
  }
  for (const [version, procs] of Object.entries(mock.procedures)) {
    procedures[version] = Object.fromEntries(Object.entries(procs).filter(([name]) => !thirdParty(name)));
  }
  return { functions, procedures };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let statements;
  try {
    statements = JSON.parse(readFileSync(0, 'utf8'));
  } catch (e) {
    process.stderr.write(`lint.mjs: stdin is not JSON: ${e.message}\n`);
    process.exit(2);
  }
  if (!Array.isArray(statements) || statements.some((s) => typeof s !== 'string')) {
    process.stderr.write('lint.mjs: stdin must be a JSON array of strings\n');
    process.exit(2);
  }
  let schema = {};
  if (args.schema) {
    try {
      schema = JSON.parse(readFileSync(args.schema, 'utf8'));
    } catch (e) {
      process.stderr.write(`lint.mjs: cannot read --schema ${args.schema}: ${e.message}\n`);
      process.exit(2);
    }
  }
  const tasks = statements.map((statement, index) => ({ statement, index }));
  const jobs = Math.max(1, Math.min(args.jobs, tasks.length));
  let diagnostics;
  if (jobs === 1) {
    diagnostics = lintAll(tasks, schema, args.versions);
  } else {
    const shares = Array.from({ length: jobs }, (_, j) => tasks.filter((_, i) => i % jobs === j));
    const results = await Promise.all(
      shares.map(
        (share) =>
          new Promise((resolve, reject) => {
            const w = new Worker(new URL(import.meta.url), {
              workerData: { tasks: share, schema, versions: args.versions },
            });
            w.once('message', resolve);
            w.once('error', reject);
            w.once('exit', (code) => code !== 0 && reject(new Error(`lint worker exited with ${code}`)));
          }),
      ),
    );
    diagnostics = results.flat();
  }
  diagnostics.sort((a, b) => a.statement_index - b.statement_index);
  process.stdout.write(JSON.stringify(diagnostics) + '\n');
}

function lintAll(tasks, schema, versions) {
  const base = {
    labels: schema.labels,
    relationshipTypes: schema.relationshipTypes,
    propertyKeys: schema.propertyKeys,
    ...builtinRegistries(),
  };
  const diagnostics = [];
  for (const { statement, index } of tasks) {
    const parameters = Object.fromEntries(parseParameters(statement, false).map((p) => [p, null]));
    for (const version of versions) {
      const dbSchema = { ...base, parameters, defaultLanguage: version };
      for (const d of lintCypherQuery(statement, dbSchema, false)) {
        diagnostics.push({
          statement_index: index,
          cypher_version: version,
          severity: SEVERITY[d.severity] ?? String(d.severity),
          message: d.message,
          range: d.range,
          offsets: d.offsets,
        });
      }
    }
  }
  return diagnostics;
}

if (isMainThread) {
  await main();
} else {
  parentPort.postMessage(lintAll(workerData.tasks, workerData.schema, workerData.versions));
}
