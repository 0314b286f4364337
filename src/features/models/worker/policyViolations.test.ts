import { afterEach, describe, expect, it, vi } from 'vitest';
import { PolicyViolationLog, POLICY_REPORT_WAIT_MS, type ViolationReport } from './policyViolations';

const POLICY = "default-src 'self'; connect-src 'self' https://huggingface.co http://127.0.0.1:*; frame-ancestors 'none'";
const report = (blockedURI: string, effectiveDirective = 'connect-src'): ViolationReport => ({ blockedURI, effectiveDirective, originalPolicy: POLICY });

describe('PolicyViolationLog', () => {
  afterEach(() => vi.useRealTimers());

  it('finds a refusal reported before the failed request asks, with the allowed hosts from the policy', async () => {
    let now = 100;
    const log = new PolicyViolationLog(() => now);
    log.record(report('http://127.0.0.1:9/m/resolve/main/onnx/model.onnx'));
    now = 105;
    expect(await log.refusalOf('http://127.0.0.1:9/m/resolve/main/onnx/model.onnx', 90)).toEqual({
      blockedUrl: 'http://127.0.0.1:9/m/resolve/main/onnx/model.onnx',
      allowedHosts: ['https://huggingface.co', 'http://127.0.0.1:*'],
    });
  });

  it('waits for a report that comes after the rejection (as Chromium sends it), and gives up after the wait', async () => {
    vi.useFakeTimers();
    const log = new PolicyViolationLog(() => 0);
    const asked = log.refusalOf('http://[::1]:8/x', 0);
    log.record(report('http://[::1]:8/x'));
    expect((await asked)?.blockedUrl).toBe('http://[::1]:8/x');
    const unanswered = log.refusalOf('http://127.0.0.1:7/dead', 0);
    await vi.advanceTimersByTimeAsync(POLICY_REPORT_WAIT_MS);
    expect(await unanswered).toBeNull();
  });

  it('ignores other directives, other URLs and reports older than the request', async () => {
    vi.useFakeTimers();
    let now = 0;
    const log = new PolicyViolationLog(() => now);
    log.record(report('http://127.0.0.1:9/old'));
    now = 50;
    log.record(report('http://127.0.0.1:9/a', 'img-src'));
    log.record(report('http://127.0.0.1:9/b'));
    const asked = Promise.all([log.refusalOf('http://127.0.0.1:9/a', 10), log.refusalOf('http://127.0.0.1:9/old', 10)]);
    await vi.advanceTimersByTimeAsync(POLICY_REPORT_WAIT_MS);
    expect(await asked).toEqual([null, null]);
  });

  it('accepts a report stripped to the origin', async () => {
    const log = new PolicyViolationLog(() => 0);
    log.record(report('http://[::1]:8'));
    expect((await log.refusalOf('http://[::1]:8/org/m/resolve/main/config.json', 0))?.blockedUrl).toBe('http://[::1]:8');
  });
});
