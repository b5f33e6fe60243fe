import { TemplateSchema } from '../../../mas/schemas';
import { templateProblems } from '../../../mas/graph';
import { classifyTask, fallbackTemplate, TEMPLATES_BY_KIND } from '../../../mas/templates';
import { KNOWN_TOOLS } from '../../../mas/tools';

describe('classifyTask: structure and keywords', () => {
  test.each([
    ['code fence', 'Complete this:\n```python\ndef f(x):\n    """doc"""\n```', 'code'],
    ['a signature without the word "code"', 'def add(a, b): add two numbers and return the sum', 'code'],
    ['a doctest', 'f(3)\n>>> 9', 'code'],
    ['write a function', 'Write a function that reverses a list', 'code'],
    ['a word problem without math keywords', 'Janet has 16 eggs and eats 3. How much money does she make if she sells each for $2?', 'math'],
    ['quantities and a question word', 'A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?', 'math'],
    ['a "class" of students is not code', 'A class has 30 students and 12 are girls. How many are boys?', 'math'],
    ['an arithmetic expression', 'What is 12*13?', 'math'],
    ['a factual question', 'Who wrote the novel Middlemarch?', 'qa'],
    ['a year is not a math problem by itself', 'What happened in Paris in 1789?', 'qa'],
  ])('%s', (_name, task, kind) => {
    expect(classifyTask(task)).toBe(kind);
  });
});

describe('fallbackTemplate', () => {
  test('every built-in team is valid under the template rules', () => {
    for (const t of Object.values(TEMPLATES_BY_KIND)) expect(templateProblems(TemplateSchema.parse(t))).toEqual([]);
  });

  test('no search tool when search cannot work', () => {
    const noSearch = KNOWN_TOOLS.filter((t) => t !== 'search');
    const t = fallbackTemplate('Who wrote Middlemarch?', noSearch);
    expect(t.agents.flatMap((a) => a.tools)).not.toContain('search');
    expect(templateProblems(t, noSearch)).toEqual([]);
    // With documents the research team keeps it.
    expect(fallbackTemplate('Who wrote Middlemarch?', KNOWN_TOOLS).agents.flatMap((a) => a.tools)).toContain('search');
  });

  test('tools that are not available are dropped from any team', () => {
    const t = fallbackTemplate('Write a function that reverses a list', ['calculator']);
    expect(t.agents.flatMap((a) => a.tools)).toEqual([]);
    expect(fallbackTemplate('What is 12*13?', ['python']).agents.flatMap((a) => a.tools)).toEqual([]);
  });
});
