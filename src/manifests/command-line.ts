/**
 * Command lines given as one string. The schema splits them once to refuse
 * what cannot be split, so the planner, which splits them again, never meets
 * a manifest it cannot turn into a container.
 */

/**
 * Splits a command line the way a POSIX shell splits words (quotes and
 * backslashes, no expansion), so `"sleep 10"` and `["sleep", "10"]` are the same command.
 */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line.charAt(i);
    const next = line.charAt(i + 1);
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && next !== '' && '"\\$`'.includes(next)) word += line.charAt(++i);
      else word += char;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (char === "'" || char === '"') quote = char;
      else if (char === '\\' && next !== '') word += line.charAt(++i);
      else word += char;
    }
  }
  if (quote) throw new Error(`expected a closing ${quote} in the command line, got ${JSON.stringify(line)}`);
  if (inWord) words.push(word);
  return words;
}
