// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// An SBOM against CycloneDX's own JSON schema, strict (no unknown fields), through the
// CycloneDX project's library (tests/e2e/image_contents.sh):
//   node check-sbom.js FILE.cdx.json    "valid", or each schema error; exit 1 on an error
'use strict';

const fs = require('fs');
const CDX = require('@cyclonedx/cyclonedx-library');

async function main(argv) {
	if (argv.length !== 1) {
		console.error('usage: node check-sbom.js FILE.cdx.json');
		return 2;
	}
	const text = fs.readFileSync(argv[0], 'utf8');
	const version = JSON.parse(text).specVersion;
	if (version !== CDX.Spec.Version.v1dot6) {
		console.log(`specVersion ${version}, want ${CDX.Spec.Version.v1dot6}`);
		return 1;
	}
	const errors = await new CDX.Validation.JsonStrictValidator(version).validate(text);
	if (errors) {
		console.log(JSON.stringify(errors, null, 1));
		return 1;
	}
	console.log(`valid CycloneDX ${version}`);
	return 0;
}

main(process.argv.slice(2)).then((rc) => { process.exitCode = rc; },
	(e) => { console.error(e.message); process.exitCode = 1; });
