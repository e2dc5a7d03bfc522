// The dashboard's login codes and sessions, with a clock the test moves: a code expires, works
// once, and only the hash is kept; a session is refused when expired, tampered with, or presented
// without its own key; Host and peer checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkSession, LOGIN_CODE_TTL_MS, LoginCodes, loopbackHost, loopbackPeer, newSession, readCookie, sameOrigin, SESSION_TTL_MS, sessionKey,
} from '../../src/gateway/dashboard/auth.js';

test('a login code works once, and not after its time', () => {
  let now = 1_000_000;
  const codes = new LoginCodes(() => now);
  const first = codes.issue();
  assert.equal(first.expiresAt, now + LOGIN_CODE_TTL_MS);
  assert.equal(codes.redeem(first.code), 'ok');
  assert.equal(codes.redeem(first.code), 'unknown', 'spent');
  const late = codes.issue();
  now += LOGIN_CODE_TTL_MS + 1;
  assert.equal(codes.redeem(late.code), 'expired');
  assert.equal(codes.redeem(late.code), 'unknown', 'an expired code is gone too');
  assert.equal(codes.redeem('not-a-code'), 'unknown');
  assert.notEqual(codes.issue().code, codes.issue().code);
});

test('a session is good with its cookie and its key, until it expires; a tampered or mixed one is refused', () => {
  const key = sessionKey('the-api-token-0123456789');
  const now = 5_000_000;
  const a = newSession(key, now);
  const b = newSession(key, now);
  assert.notEqual(checkSession(key, a.cookie, a.headerKey, now), null);
  assert.equal(checkSession(key, a.cookie, b.headerKey, now), null, "another session's key");
  assert.equal(checkSession(key, a.cookie, undefined, now), null);
  assert.equal(checkSession(key, undefined, a.headerKey, now), null);
  assert.equal(checkSession(key, a.cookie, a.headerKey, now + SESSION_TTL_MS + 1), null, 'expired');
  const [v, id, expires, signature] = a.cookie.split('.');
  assert.equal(checkSession(key, [v, id, String(Number(expires) + 3_600_000), signature].join('.'), a.headerKey, now), null, 'a longer life is not ours to give');
  assert.equal(checkSession(sessionKey('another-token-0123456789'), a.cookie, a.headerKey, now), null, 'a replaced token ends every session');
  assert.ok(!a.cookie.includes('the-api-token') && !a.headerKey.includes('the-api-token'));
});

test('cookies, Host, Origin and the peer address', () => {
  assert.equal(readCookie('a=1; gatehouse_dashboard_80=v1.x.y.z; b=2', 'gatehouse_dashboard_80'), 'v1.x.y.z');
  assert.equal(readCookie('gatehouse_dashboard_81=v1', 'gatehouse_dashboard_80'), undefined);
  for (const host of ['127.0.0.1:8790', 'localhost:8790', 'LOCALHOST:8790', '[::1]:8790']) assert.equal(loopbackHost(host, 8790), true, host);
  for (const host of ['127.0.0.1:8791', 'evil.example:8790', '127.0.0.1', undefined, '127.0.0.1.evil:8790']) assert.equal(loopbackHost(host, 8790), false, String(host));
  assert.equal(sameOrigin('http://127.0.0.1:8790', '127.0.0.1:8790'), true);
  assert.equal(sameOrigin('http://localhost:8790', '127.0.0.1:8790'), false);
  assert.equal(sameOrigin(undefined, '127.0.0.1:8790'), false);
  assert.equal(sameOrigin('null', '127.0.0.1:8790'), false);
  for (const peer of ['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1']) assert.equal(loopbackPeer(peer), true, peer);
  for (const peer of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', undefined]) assert.equal(loopbackPeer(peer), false, String(peer));
});
