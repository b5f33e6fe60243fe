/**
 * Running tests on a code answer: one sandbox run of `testProgram` loads the code and runs
 * every test (mas/taskTests.ts) under its own time limit, reporting per test pass / fail /
 * error / invalid and the value the call returned. That report is what code selection
 * (mas/codeSelect.ts), the test step and the evidence rule (mas/evidence.ts) read. Pure and
 * free of zod; the program itself is Python.
 */
import { fnv1a } from './hash';
import type { TaskTest, TestSource } from './taskTests';

/** Seconds one test (and the candidate's own top-level code) may take before it counts as an error. */
export const SECONDS_PER_TEST = 3;
const REPORT = '@@mas2-test ';

/**
 * A Python literal for any text: JSON string syntax is Python string syntax (the escapes JSON
 * uses — \" \\ \n \t \b \f \r \uXXXX — mean the same in Python), so no quoting can break out.
 */
const pyString = (s: string) => JSON.stringify(s);

/**
 * A program that loads the candidate code, then runs every test in its namespace, each under
 * its own time limit, and reports one line per test on stdout (`@@mas2-test {json}`). What the
 * candidate prints is discarded (only a bounded capture for print-style examples), so a
 * flood of output cannot hide the report. The candidate runs as a module named `__mas2__`: its
 * own `if __name__ == "__main__":` block does not run.
 */
export function testProgram(code: string, tests: readonly TaskTest[]): string {
  const spec = tests.map((t) => (t.kind === 'assert' ? { id: t.id, kind: t.kind, code: t.code } : { id: t.id, kind: t.kind, call: t.call, expected: t.expected }));
  return `${HARNESS}
_CODE = ${pyString(code)}
_TESTS = _json.loads(${pyString(JSON.stringify(spec))})
_main(_CODE, _TESTS, ${SECONDS_PER_TEST})
`;
}

const HARNESS = String.raw`import ast as _ast, io as _io, json as _json, re as _re, signal as _signal, sys as _sys, traceback as _traceback
_REAL_OUT = _sys.stdout
def _emit(d):
    _REAL_OUT.write(${pyString(REPORT)} + _json.dumps(d) + "\n")
    _REAL_OUT.flush()
class _Capture(_io.StringIO):
    def write(self, s):
        if self.tell() < 10000:
            super().write(s[: 10000 - self.tell()])
        return len(s)
def _why(e):
    return (type(e).__name__ + (": " + str(e) if str(e) else ""))[:300]
def _short(v):
    try:
        r = repr(v)
    except BaseException as e:
        r = "<unrepresentable: " + _why(e) + ">"
    return r[:200]
class _Timeout(BaseException):
    pass
def _alarm(*_):
    raise _Timeout()
def _limited(seconds, fn):
    _signal.setitimer(_signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
def _assert_test(ns, src):
    tree = _ast.parse(src, "<test>", "exec")
    last = tree.body[-1] if tree.body else None
    if isinstance(last, _ast.Assert):
        setup = _ast.Module(body=tree.body[:-1], type_ignores=[])
        exec(compile(setup, "<test>", "exec"), ns)
        t = last.test
        if isinstance(t, _ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], _ast.Eq):
            got = eval(compile(_ast.Expression(t.left), "<test>", "eval"), ns)
            want = eval(compile(_ast.Expression(t.comparators[0]), "<test>", "eval"), ns)
            return got == want, _short(got), "expected " + _short(want) + ", got " + _short(got)
        got = eval(compile(_ast.Expression(t), "<test>", "eval"), ns)
        return bool(got), _short(got), "the assertion is false" + (": " + _short(got) if not isinstance(got, bool) else "")
    exec(compile(tree, "<test>", "exec"), ns)
    return True, None, ""
def _example_test(ns, call, expected):
    cap = _Capture()
    _sys.stdout = cap
    try:
        got = eval(compile(call, "<example>", "eval"), ns)
    finally:
        _sys.stdout = _DISCARD
    printed = cap.getvalue().strip()
    if repr(got) == expected or (got is None and printed == expected.strip()):
        return "pass", _short(got), ""
    try:
        want = eval(compile(expected, "<expected>", "eval"), {})
    except BaseException:
        return "invalid", _short(got), "the expected output " + _short(expected) + " is not a Python value"
    if got == want:
        return "pass", _short(got), ""
    return "fail", _short(got), "expected " + expected[:200] + ", got " + _short(got)
_DISCARD = _Capture()
def _main(code, tests, seconds):
    _signal.signal(_signal.SIGALRM, _alarm)
    _sys.stdout = _DISCARD
    ns = {"__name__": "__mas2__"}
    try:
        _limited(seconds, lambda: exec(compile(code, "candidate.py", "exec"), ns))
    except _Timeout:
        _emit({"id": "load", "status": "error", "detail": "the code's own top-level statements took longer than %s s" % seconds})
        return
    except BaseException as e:
        _emit({"id": "load", "status": "error", "detail": _why(e)})
        return
    _emit({"id": "load", "status": "pass"})
    for t in tests:
        try:
            if t["kind"] == "assert":
                try:
                    compile(t["code"], "<test>", "exec")
                except SyntaxError as e:
                    _emit({"id": t["id"], "status": "invalid", "detail": "the test is not valid Python: " + _why(e)})
                    continue
                ok, out, why = _limited(seconds, lambda: _assert_test(ns, t["code"]))
                status = "pass" if ok else "fail"
            else:
                try:
                    compile(t["call"], "<example>", "eval")
                except SyntaxError as e:
                    _emit({"id": t["id"], "status": "invalid", "detail": "the example is not a Python expression: " + _why(e)})
                    continue
                status, out, why = _limited(seconds, lambda: _example_test(ns, t["call"], t["expected"]))
            _emit({"id": t["id"], "status": status, "output": out, "detail": why if status != "pass" else ""})
        except _Timeout:
            _emit({"id": t["id"], "status": "error", "detail": "took longer than %s s" % seconds})
        except NameError as e:
            # A name the test itself uses but nobody defines ("f(n) -> f(n-1) + ...", "is_happy(a) => False")
            # makes the test unusable; a function it calls that the code lacks is the code's failure.
            frames = _traceback.extract_tb(e.__traceback__)
            name = getattr(e, "name", None) or (_re.findall(r"name '(\w+)'", str(e)) or [None])[0]
            src = t.get("code") or t.get("call") or ""
            own = bool(frames) and frames[-1].filename in ("<test>", "<example>")
            called = name in [n.func.id for n in _ast.walk(_ast.parse(src)) if isinstance(n, _ast.Call) and isinstance(n.func, _ast.Name)]
            if own and not called:
                _emit({"id": t["id"], "status": "invalid", "detail": "the test uses a name nothing defines: " + _why(e)})
            else:
                _emit({"id": t["id"], "status": "error", "detail": _why(e)})
        except AssertionError as e:
            _emit({"id": t["id"], "status": "fail", "detail": _why(e)})
        except BaseException as e:
            _emit({"id": t["id"], "status": "error", "detail": _why(e)})
        finally:
            _sys.stdout = _DISCARD
    _emit({"id": "done", "status": "pass"})`;

export type TestStatus = 'pass' | 'fail' | 'error' | 'invalid' | 'missing';

export interface TestResult {
  id: string;
  source: TestSource;
  /**
   * pass / fail (the check is false) / error (the code raised or ran out of time) / invalid
   * (the test itself is not usable: not Python, or an expected output that is no value) /
   * missing (the run stopped before it: a sandbox limit).
   */
  status: TestStatus;
  /** What the call under test returned (repr, clipped): candidates that return the same behave the same. */
  output?: string;
  detail?: string;
}

export interface TestRun {
  /** False when the code itself failed to load (syntax error, crash or time-out at top level). */
  loaded: boolean;
  loadError?: string;
  results: TestResult[];
  /** False when the report stops early (time, memory or output limit of the sandbox). */
  complete: boolean;
}

/** Reads the report of a `testProgram` run; `runError` is what the sandbox said when the run failed. */
export function parseTestReport(stdout: string, tests: readonly TaskTest[], runError?: string): TestRun {
  const lines = new Map<string, { status: TestStatus; output?: string; detail?: string }>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(REPORT)) continue;
    try {
      const d = JSON.parse(line.slice(REPORT.length)) as { id?: unknown; status?: unknown; output?: unknown; detail?: unknown };
      if (typeof d.id !== 'string' || typeof d.status !== 'string' || lines.has(d.id)) continue;
      lines.set(d.id, { status: d.status as TestStatus, ...(typeof d.output === 'string' ? { output: d.output } : {}), ...(typeof d.detail === 'string' && d.detail ? { detail: d.detail } : {}) });
    } catch {
      // A line cut by the output limit: that test counts as missing.
    }
  }
  const load = lines.get('load');
  const stopped = runError ? `the run stopped before this test: ${runError.slice(0, 200)}` : 'the run stopped before this test (a sandbox limit)';
  if (!load || load.status !== 'pass') {
    const loadError = load?.detail ?? (runError ? runError.slice(0, 300) : 'the program produced no report');
    return { loaded: false, loadError, complete: load !== undefined, results: tests.map((t) => ({ id: t.id, source: t.source, status: 'error', detail: `the code did not load: ${loadError}` })) };
  }
  const results = tests.map((t): TestResult => {
    const r = lines.get(t.id);
    return r ? { id: t.id, source: t.source, ...r } : { id: t.id, source: t.source, status: 'missing', detail: stopped };
  });
  return { loaded: true, results, complete: lines.has('done') };
}

export interface TestCounts {
  passed: number;
  failed: number;
  /** Tests that can judge the code: everything but invalid ones. */
  usable: number;
}

export function countResults(results: readonly TestResult[], source?: TestSource): TestCounts {
  const rs = results.filter((r) => (source ? r.source === source : true) && r.status !== 'invalid');
  const passed = rs.filter((r) => r.status === 'pass').length;
  return { passed, failed: rs.length - passed, usable: rs.length };
}

/**
 * A run as workflow history keeps it: pass / fail per test intact, each returned value by its
 * hash (agreement between candidates needs only equality), the details of the first
 * `maxDetails` failures clipped, the rest dropped. Nine candidates × forty tests stay a few KB.
 */
export function compactRun(run: TestRun, maxDetails = 5): TestRun {
  let details = 0;
  return {
    ...run,
    ...(run.loadError !== undefined ? { loadError: run.loadError.slice(0, 300) } : {}),
    results: run.results.map((r) => {
      const keepDetail = r.detail !== undefined && r.status !== 'pass' && details++ < maxDetails;
      return {
        id: r.id,
        source: r.source,
        status: r.status,
        ...(r.output !== undefined ? { output: fnv1a(r.output) } : {}),
        ...(keepDetail ? { detail: r.detail!.slice(0, 200) } : {}),
      };
    }),
  };
}
