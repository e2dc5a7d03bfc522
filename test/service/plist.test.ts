// XML escaping and the small XML reader, the plist subset, and the LaunchAgent's properties and
// render -> parse round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { escapeXml, parseXml, textOf, unescapeXml } from '../../src/service/xml.js';
import { parsePlist, renderPlist, type PlistValue } from '../../src/service/plist.js';
import { launchAgentPath, launchdLabel, macLogDir, parseLaunchAgent, renderLaunchAgent } from '../../src/service/launchd-plist.js';
import { buildServiceSpec, normalizeSpec, stopTimeoutSeconds, UnrepresentableError } from '../../src/service/spec.js';
import type { ServiceSpec } from '../../src/service/types.js';
import { LINE_BREAKS, NASTY } from './nasty.js';

test('XML escaping round-trips nasty text in element content and in attributes', () => {
  for (const value of [...NASTY, ...LINE_BREAKS, '\t\r\n ']) {
    assert.equal(unescapeXml(escapeXml(value)), value);
    assert.equal(textOf(parseXml(`<a>${escapeXml(value)}</a>`)), value, JSON.stringify(value));
    assert.equal(parseXml(`<a v="${escapeXml(value)}"/>`).attributes['v'], value, JSON.stringify(value));
  }
  assert.equal(escapeXml(`<a & 'b' "c">`), '&lt;a &amp; &apos;b&apos; &quot;c&quot;&gt;');
});

test('XML escaping refuses what XML 1.0 cannot carry; the reader refuses unknown entities', () => {
  for (const bad of ['\x00', 'a\x01', '\x1b[0m', '\ufffe', '\ud800']) assert.throws(() => escapeXml(bad), UnrepresentableError);
  assert.throws(() => unescapeXml('&nbsp;'), /unknown XML entity/);
  assert.throws(() => unescapeXml('a & b'), /bare &/);
  assert.throws(() => parseXml('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'), /DOCTYPE/);
  assert.throws(() => parseXml('<a><b></a></b>'), /mismatched/);
});

test('the reader handles declarations, comments, CDATA, CRLF and numeric references', () => {
  const root = parseXml('\uFEFF<?xml version="1.0"?>\r\n<!-- c --><r x=\'1\'><![CDATA[<&>]]>&#x1F680;&#13;\r\n<e/></r>');
  assert.equal(root.attributes['x'], '1');
  assert.equal(root.children[0], '<&>🚀\r\n');
});

test('plist values round-trip through render and parse', () => {
  const value: PlistValue = {
    s: 'x', empty: '', nasty: [...NASTY], n: -42, big: 2 ** 40, t: true, f: false, nested: { a: [{ b: ['c'] }], '<k&>': 'v' }, none: [], d: {},
  };
  assert.deepEqual(parsePlist(renderPlist(value)), value);
  assert.throws(() => renderPlist({ x: 1.5 }), UnrepresentableError);
  assert.throws(() => parsePlist('<plist><dict><key>a</key></dict></plist>'), /alternate/);
  assert.throws(() => parsePlist('<plist><real>1.5</real></plist>'), /unsupported/);
  assert.throws(() => parsePlist('<plist><dict><key>a</key><true/><key>a</key><false/></dict></plist>'), /duplicate/);
});

test('the plist reader accepts what Apple tools write (self-closing empties, other indentation)', () => {
  const text = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict><key>A</key><string/><key>B</key><array/><key>C</key><integer> 7 </integer></dict></plist>';
  assert.deepEqual(parsePlist(text), { A: '', B: [], C: 7 });
});

function spec(overrides: Partial<Parameters<typeof buildServiceSpec>[0]> = {}): ServiceSpec {
  return buildServiceSpec({
    profile: 'work',
    nodePath: '/Users/ü/.nvm/versions/node/v24 & <1>/bin/node',
    entryScript: "/Users/ü/lib/it's \"gatehouse\"/bin/gatehouse.js",
    home: '/Users/ü/Library/Application Support/gatehouse',
    workingDirectory: '/Users/ü',
    logDir: macLogDir('/Users/ü'),
    drainTimeoutMs: 60_000,
    ...overrides,
  });
}

test('label and path per profile', () => {
  assert.equal(launchdLabel('default'), 'io.gatehouse.gateway');
  assert.equal(launchdLabel('work'), 'io.gatehouse.gateway.work');
  assert.equal(launchAgentPath('/tmp/LA', 'work'), '/tmp/LA/io.gatehouse.gateway.work.plist');
});

test('the LaunchAgent keeps a planned stop down, outlasts the drain and reads no terminal', () => {
  const plist = parsePlist(renderLaunchAgent(spec())) as Record<string, PlistValue>;
  assert.equal(plist['Label'], 'io.gatehouse.gateway.work');
  assert.equal(plist['RunAtLoad'], true);
  assert.deepEqual(plist['KeepAlive'], { SuccessfulExit: false });
  assert.ok((plist['ExitTimeOut'] as number) * 1000 > 60_000);
  assert.equal(plist['ExitTimeOut'], stopTimeoutSeconds(60_000));
  assert.ok((plist['ThrottleInterval'] as number) >= 1);
  assert.equal(plist['StandardInPath'], '/dev/null');
  assert.equal(plist['StandardOutPath'], '/Users/ü/Library/Logs/gatehouse/gatehouse-work.out.log');
  assert.equal(plist['StandardErrorPath'], '/Users/ü/Library/Logs/gatehouse/gatehouse-work.err.log');
  assert.equal(plist['ProcessType'], 'Background');
  assert.deepEqual(plist['EnvironmentVariables'], { GATEHOUSE_HOME: '/Users/ü/Library/Application Support/gatehouse', GATEHOUSE_SUPERVISED: '1' });
  assert.deepEqual(plist['ProgramArguments'], [spec().nodePath, spec().entryScript, 'run', '--profile', 'work']);
});

test('LaunchAgent render -> parse gives the spec back', () => {
  for (const s of [spec(), spec({ profile: 'default' }), spec({ entryScript: `/x/${NASTY.join('')}` })]) {
    const parsed = parseLaunchAgent(renderLaunchAgent(s));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.deepEqual(normalizeSpec(parsed.spec), normalizeSpec(s));
  }
});

test('a plist with a secret, a foreign label or a broken body is refused or reported', () => {
  const base = spec();
  assert.throws(() => renderLaunchAgent({ ...base, env: { ...base.env, GATEHOUSE_TOKEN: 't' } }), /may not go into a service definition/);
  const foreign = renderLaunchAgent(base).replace('io.gatehouse.gateway.work', 'com.example.other');
  assert.equal(parseLaunchAgent(foreign).ok, false);
  assert.equal(parseLaunchAgent('<plist><string>x</string></plist>').ok, false);
  assert.equal(parseLaunchAgent('not xml').ok, false);
});

const python = spawnSync('python3', ['-c', 'import plistlib'], { encoding: 'utf8' });
const noPython = python.error !== undefined || python.status !== 0 ? 'python3 with plistlib is not available' : false;

test('an independent plist implementation (Python plistlib) reads what we write, and we read what it writes', { skip: noPython }, () => {
  const text = renderLaunchAgent(spec({ entryScript: `/x/${NASTY.join('|')}` }));
  const script = 'import plistlib, sys, json; d = plistlib.loads(sys.stdin.buffer.read()); sys.stdout.write(json.dumps(d)); sys.stdout.flush()';
  const read = spawnSync('python3', ['-c', script], { input: text, encoding: 'utf8', timeout: 30_000 });
  assert.equal(read.status, 0, read.stderr);
  assert.deepEqual(JSON.parse(read.stdout), parsePlist(text));
  const written = spawnSync('python3', ['-c', 'import plistlib, sys, json; sys.stdout.buffer.write(plistlib.dumps(json.loads(sys.stdin.read())))'], {
    input: JSON.stringify({ a: NASTY, b: { c: true, d: -3 }, e: '' }), encoding: 'utf8', timeout: 30_000,
  });
  assert.equal(written.status, 0, written.stderr);
  assert.deepEqual(parsePlist(written.stdout), { a: [...NASTY], b: { c: true, d: -3 }, e: '' });
});
