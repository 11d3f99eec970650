// Plain-TypeScript word count, the reference `kiln wordcount` is checked against:
// countwords rules (split on ASCII whitespace, or every non-alphanumeric ASCII byte;
// ASCII letters lowercased unless told not to), most frequent first, ties by bytes.

/** "word count" lines, as `kiln wordcount` prints them. */
export function wordcountReference(text: Buffer, options: { lowercase: boolean; nonAlnum: boolean; top?: number }): string {
  const counts = new Map<string, number>();
  const sep = options.nonAlnum ? /[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+/ : /[ \t\n\v\f\r]+/;
  for (const raw of text.toString('utf8').split(sep)) {
    if (raw === '') continue;
    const word = options.lowercase ? raw.replace(/[A-Z]/g, (c) => c.toLowerCase()) : raw;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const rows = [...counts].sort((a, b) => b[1] - a[1] || Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  return rows
    .slice(0, options.top ?? rows.length)
    .map(([w, c]) => `${w} ${c}\n`)
    .join('');
}
