// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// wattctl report -o html in a real browser (Debian's headless Chromium, driven over the
// DevTools protocol by playwright-core): a screenshot, and from the DOM, for every group of
// the same report's JSON, its table row (with its energy and carbon as the JSON has them),
// its area in the power chart and its bar in the carbon chart (as long as its carbon, in
// proportion), the same colour in all three; no console error, no request but the page.
// Each page's screenshot is SHOT_DIR/NAME.png, NAME its file's name without .html.
//
//   node check-report-html.js SHOT_DIR REPORT_HTML REPORT_JSON [REPORT_HTML REPORT_JSON]...
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

let fails = 0;
let passes = 0;

function check(what, good, detail) {
	if (good) {
		passes++;
		console.log(`ok: ${what}`);
	} else {
		fails++;
		console.log(`FAIL: ${what}${detail ? ': ' + detail : ''}`);
	}
}

// "1,234" or "0.0123" as shown in a cell, back to a number.
function shown(text) {
	return Number(String(text).replace(/,/g, '').replace(/%$/, ''));
}

// Three significant figures, as the page rounds them.
function close3(a, b) {
	return Math.abs(a - b) <= 0.005 * Math.abs(b) + 1e-12;
}

// Everything the page shows for each group, read from the DOM.
function readPage() {
	const cols = [...document.querySelectorAll('#groups thead th')].map((th) => th.firstChild.textContent.trim());
	const rows = [...document.querySelectorAll('#groups tbody tr')].map((tr) => ({
		group: tr.dataset.group,
		cells: Object.fromEntries([...tr.cells].map((td, i) => [cols[i], td.textContent.trim()])),
		color: getComputedStyle(tr.querySelector('.swatch')).backgroundColor,
	}));
	const box = (el) => { const b = el.getBBox(); return { w: b.width, h: b.height }; };
	const areas = [...document.querySelectorAll('#power-chart path.area')].map((p) => ({
		group: p.dataset.group, box: box(p), color: getComputedStyle(p).fill,
	}));
	const bars = [...document.querySelectorAll('#bar-chart g.bar')].map((g) => ({
		group: g.dataset.group,
		width: [...g.querySelectorAll('rect')].reduce((s, r) => s + r.getBBox().width, 0),
		color: getComputedStyle(g.querySelector('rect')).fill,
		value: g.querySelector('text.value').textContent,
	}));
	const legend = [...document.querySelectorAll('.legend li')].map((li) => li.textContent.trim());
	const overflow = [...document.querySelectorAll('table')].map((t) =>
		t.getBoundingClientRect().right - t.parentElement.getBoundingClientRect().right);
	return { cols, rows, areas, bars, legend, overflow, fonts: document.fonts.size, title: document.title,
		unit: [...document.querySelectorAll('#groups thead th')]
			.find((th) => th.firstChild.textContent.trim() === 'Carbon').querySelector('small').textContent };
}

function checkGroups(page, report) {
	const groups = report.groups;
	const carbonDiv = { gCO2e: 1, kgCO2e: 1e3, tCO2e: 1e6 }[page.unit] || 1;
	const maxCarbon = Math.max(...groups.map((g) => g.carbon_grams));
	const maxWidth = Math.max(...page.bars.map((b) => b.width));

	check(`the table has ${groups.length} rows, in the report's order`,
		JSON.stringify(page.rows.map((r) => r.group)) === JSON.stringify(groups.map((g) => g.name)),
		JSON.stringify(page.rows.map((r) => r.group)));
	for (const g of groups) {
		const row = page.rows.find((r) => r.group === g.name);
		const area = page.areas.find((a) => a.group === g.name);
		const bar = page.bars.find((b) => b.group === g.name);
		check(`${g.name}: its row shows ${g.energy_kwh.toPrecision(4)} kWh, ${g.carbon_grams.toPrecision(4)} g, ${(100 * g.share).toPrecision(4)}% as three figures`,
			row && close3(shown(row.cells.Energy), g.energy_kwh) &&
			close3(shown(row.cells.Carbon) * carbonDiv, g.carbon_grams) &&
			close3(shown(row.cells.Share), 100 * g.share), row && JSON.stringify(row.cells));
		if (report.total.gpu_energy_kwh !== undefined)
			check(`${g.name}: its GPU cell shows ${g.gpu_energy_kwh === undefined ? "-" : g.gpu_energy_kwh.toPrecision(4) + " kWh"}`,
				row && (g.gpu_energy_kwh === undefined ? row.cells.GPU === "-" :
					close3(shown(row.cells.GPU), g.gpu_energy_kwh)), row && row.cells.GPU);
		check(`${g.name}: its area in the power chart has a size (${area ? area.box.w.toFixed(0) + " x " + area.box.h.toFixed(0) : "no area"})`,
			area && area.box.w > 100 && area.box.h > 5, JSON.stringify(area));
		check(`${g.name}: its bar is as long as its carbon (${bar ? bar.width.toFixed(1) + " of " + maxWidth.toFixed(1) + " px" : "no bar"})`,
			bar && Math.abs(bar.width / maxWidth - g.carbon_grams / maxCarbon) < 0.005,
			JSON.stringify(bar));
		check(`${g.name}: one colour for row, area and bar (${row && row.color})`,
			row && area && bar && row.color === area.color && row.color === bar.color,
			JSON.stringify([row && row.color, area && area.color, bar && bar.color]));
		check(`${g.name}: in the legend`, page.legend.includes(g.name));
	}
	check('no other areas or bars', page.areas.length === groups.length && page.bars.length === groups.length,
		`${page.areas.length} areas, ${page.bars.length} bars`);
}

// Open one page, screenshot it, and check it against its report's JSON.
async function checkPage(context, htmlFile, jsonFile, shot) {
	const report = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
	const url = 'file://' + path.resolve(htmlFile);
	const page = await context.newPage();
	const errors = [];
	const requests = [];

	page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
	page.on('pageerror', (e) => errors.push(String(e)));
	await page.route('**/*', (route) => {
		const u = route.request().url();
		if (u === url)
			return route.continue();
		requests.push(u);
		return route.abort();
	});
	await page.goto(url, { waitUntil: 'load' });
	await page.screenshot({ path: shot, fullPage: true });
	const seen = await page.evaluate(readPage);
	console.log(`${path.basename(htmlFile)} (screenshot ${shot}):`);
	check(`the page loaded: ${seen.title}`, seen.title.startsWith('Energy and carbon by'), seen.title);
	checkGroups(seen, report);
	check(`every table fits the page's width (${seen.overflow.length} tables)`,
		seen.overflow.every((px) => px <= 0.5), `past the edge by ${seen.overflow.map((px) => px.toFixed(0)).join(', ')} px`);
	check('no web fonts', seen.fonts === 0, `${seen.fonts} font faces`);
	check('no console errors', errors.length === 0, errors.join(' | '));
	check('no request but the page itself', requests.length === 0, requests.join(' '));
	await page.close();
}

async function main(argv) {
	const [shotDir, ...pairs] = argv;
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wattlet-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 900 },
	});

	try {
		console.log(`browser: ${CHROMIUM}, ${FLAGS.join(' ')}, profile ${profile}`);
		for (let i = 0; i + 1 < pairs.length; i += 2)
			await checkPage(context, pairs[i], pairs[i + 1],
				path.join(shotDir, path.basename(pairs[i], '.html') + '.png'));
	} finally {
		await context.close();
		fs.rmSync(profile, { recursive: true, force: true });
	}
	console.log(`${passes} passed, ${fails} failed`);
	return fails ? 1 : 0;
}

main(process.argv.slice(2)).then((rc) => { process.exitCode = rc; }, (e) => {
	console.log(`FAIL: ${e.stack || e}`);
	process.exitCode = 1;
});
