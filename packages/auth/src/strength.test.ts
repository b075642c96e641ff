import { describe, expect, it } from 'vitest';
import { passwordProblem } from './strength.ts';

describe('passwordProblem', () => {
  it.each(['password123', 'qwertyuiop', 'iloveyou1', 'Password1!', '11111111'])(
    'refuses the commonly used %s with a reason',
    async (password) => {
      expect(await passwordProblem(password)).toMatch(/^password is too easy to guess: \S/);
    },
  );

  it('names the reason and zxcvbn’s suggestion', async () => {
    expect(await passwordProblem('password123')).toBe(
      'password is too easy to guess: This is a commonly used password. Add more words that are less common.',
    );
  });

  it('refuses a password built from the account’s own email or name', async () => {
    const problem = await passwordProblem('hamilton1970', ['mhamilton@example.test', 'Margaret Hamilton']);
    expect(problem).toBe(
      'password is too easy to guess: There should not be any personal or page related data. Add more words that are less common.',
    );
    // The same password for someone else is only a little stronger: a name and a year.
    expect(await passwordProblem('hamilton1970')).toMatch(/too easy to guess/);
  });

  it.each([
    ['grace.hopper123', 'grace.hopper@example.test'],
    ['jsmith_1984123', 'jsmith_1984@example.test'],
    ['common-1a2b3c4d123', 'common-1a2b3c4d@example.test'],
  ])('refuses %s: the email’s whole local part and 123', async (password, email) => {
    expect(await passwordProblem(password, [email, 'Someone'])).toMatch(/personal or page related data/);
  });

  it.each(['Quartz-ladder-Mimosa-41', 'velvet canyon ostrich 2077', 'tR7#qL9!zW2m'])('accepts %s', async (password) => {
    expect(await passwordProblem(password, ['someone@example.test', 'Someone'])).toBeNull();
  });
});
