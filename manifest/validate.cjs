// Validate Teams app files against the official schemas of @microsoft/app-manifest,
// the way the package's AppManifestUtils.validateAgainstSchema does it (Ajv draft-04,
// allErrors, formats uri/email/regex), with the schema each file names in "$schema"
// read from the package's files: no network.
//
//   node manifest/validate.cjs path/to/manifest.json path/to/nl.json
//
// Prints one line per problem and exits 1 when a file is invalid, 0 when all are valid.
// tests/test_manifest.py runs it as a cross-check of the Python (jsonschema) validation.
"use strict";

const fs = require("fs");
const path = require("path");
const Ajv = require("ajv-draft-04");
const addFormats = require("ajv-formats");

const PACKAGE = path.join(__dirname, "node_modules", "@microsoft", "app-manifest", "build");
const PREFIX = "https://developer.microsoft.com/json-schemas/";

function loadSchema(url) {
  if (!url || !url.startsWith(PREFIX)) {
    throw new Error(`"$schema" must start with ${PREFIX}, not ${JSON.stringify(url)}`);
  }
  const file = path.join(PACKAGE, "json-schemas", url.slice(PREFIX.length));
  // The package's own clean-up of regular expressions that JavaScript does not know.
  const text = fs.readFileSync(file, "utf8").replace(/\\a/g, "\\u0007").replace(/\\v/g, "\\u000b");
  return JSON.parse(text);
}

function compile(schema, unicodeRegExp) {
  const ajv = new Ajv({ allErrors: true, strictTypes: false, unicodeRegExp });
  addFormats(ajv, ["uri", "email", "regex"]);
  return ajv.compile(schema);
}

let failed = false;
for (const file of process.argv.slice(2)) {
  const data = JSON.parse(fs.readFileSync(file, "utf8"));
  const schema = loadSchema(data.$schema);
  let validate;
  try {
    validate = compile(schema, true);
  } catch (error) {
    // The v1.30 localisation schema has a pattern that is not valid in Unicode mode
    // ("activityTypes\[\b(...)\b]": a lone "]"), so Ajv's default (the "u" flag)
    // cannot compile it; the package's own validator throws there too. Without the
    // flag the pattern means what its authors meant.
    if (!(error instanceof SyntaxError)) throw error;
    console.log(`${file}: note: ${error.message}; compiling without the "u" flag`);
    validate = compile(schema, false);
  }
  if (validate(data)) {
    console.log(`${file}: valid against ${data.$schema}`);
  } else {
    failed = true;
    for (const error of validate.errors) {
      console.log(`${file}: ${error.instancePath || "(root)"} ${error.message} ${JSON.stringify(error.params)}`);
    }
  }
}
process.exit(failed ? 1 : 0);
