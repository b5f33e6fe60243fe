/** Reading a programmer's program out of its reply (mas/extract.ts). */
import { extractProgram } from '../../../mas/extract';

describe('extractProgram: the program of a reply, without its prose', () => {
  test('a fenced block is taken as it is', () => {
    expect(extractProgram('Here:\n```python\nx = 2\nprint(x)\n```\nFinal answer: 2')).toEqual({ code: 'x = 2\nprint(x)\n', from: 'block' });
  });
  test('a reply without a fence keeps only the lines that read as Python', () => {
    const reply = "To solve this, we add the two parts.\nfirst = 40 * 10\nextra_hours = 5\nfor h in range(extra_hours):\n    first += 15\nprint(first)\nFinal answer: 475";
    expect(extractProgram(reply)).toEqual({ code: 'first = 40 * 10\nextra_hours = 5\nfor h in range(extra_hours):\n    first += 15\nprint(first)\n', from: 'whole' });
  });
  test('prose alone is no program', () => {
    expect(extractProgram("Eliza's regular pay rate is $10 per hour. She worked for 40 hours.\nFinal answer: 460")).toBeNull();
    expect(extractProgram('')).toBeNull();
  });
  test('comparisons and calls count as code, a sentence with an equals sign in it does not start one', () => {
    expect(extractProgram('total = sum([1, 2])\nprint(total)')!.code).toBe('total = sum([1, 2])\nprint(total)\n');
    expect(extractProgram('The total is 3 = 1 + 2 dollars.\nprint(3)')!.code).toBe('print(3)\n');
  });
});

describe('extractProgram: sentences inside a block', () => {
  test('top-level sentences and answer lines in a block are dropped, code and strings stay', () => {
    const reply = '```python\nThe first glass costs $5.\nprice = 5\ntotal = price * 16\nprint(total)\nFinal answer: 64\n```';
    expect(extractProgram(reply)).toEqual({ code: 'price = 5\ntotal = price * 16\nprint(total)\n', from: 'block' });
  });
  test('text inside a triple-quoted string or an indented body is never touched', () => {
    const reply = '```python\ndef f():\n    """Return the price of one glass.\nThe second line of the docstring stays.\n"""\n    return 5\nprint(f())\n```';
    expect(extractProgram(reply)!.code).toBe('def f():\n    """Return the price of one glass.\nThe second line of the docstring stays.\n"""\n    return 5\nprint(f())\n');
  });
});
