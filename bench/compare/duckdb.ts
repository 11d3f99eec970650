// DuckDB as a peer, through @duckdb/node-api, with a fixed thread count. Policy: the
// input is read as one VARCHAR column of whole lines (CSV reader with a delimiter that
// never occurs, no quoting, no header) and the result is written by DuckDB's own COPY,
// so no row crosses into JavaScript. Where DuckDB's semantics differ from kiln's, the
// SQL is written to match, and what remains is said here:
//  - word count: lower() is Unicode-aware (kiln lowercases ASCII only) and the split
//    class is spelled out ([ \t\n\v\f\r], RE2's \s lacks \v); empty tokens from
//    leading or trailing blanks are dropped. Identical on ASCII input.
//  - sort: ORDER BY encode(line), i.e. by the line's UTF-8 bytes as a BLOB, which is
//    memcmp order = `LC_ALL=C sort` order. (A cast line::BLOB would interpret
//    backslash escapes, and the records hold backslashes.)
//  - all: the CSV reader needs valid UTF-8, cannot hold a line containing the byte 0x01,
//    treats "\r\n" and a lone "\r" as line ends (strict_mode=false; strict mode
//    rejects a lone "\r"), and reads an empty line as NULL rather than "".
// Usage: node dist/bench/compare/duckdb.js <wordcount|distinct|sort|version> FILE OUT [threads]
import { DuckDBInstance } from '@duckdb/node-api';
import { joinDimensionPath } from '../corpus.js';

const [task, file, out, threadsArg] = process.argv.slice(2);
const threads = threadsArg ?? '2';

/** A SQL string literal. */
const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** The input as rows of one VARCHAR column `line`. */
const lines = (path: string): string =>
  `read_csv(${lit(path)}, columns={'line': 'VARCHAR'}, delim=E'\\x01', quote='', escape='', header=false, auto_detect=false, strict_mode=false, max_line_size=100000000)`;

/** COPY options that write each row's columns space-separated, unquoted. */
const plain = `(FORMAT csv, HEADER false, DELIMITER ' ', QUOTE '', ESCAPE '')`;

const instance = await DuckDBInstance.create(':memory:', { threads });
const db = await instance.connect();
switch (task) {
  case 'version': {
    const rows = (await db.runAndReadAll('SELECT version()')).getRows();
    console.log(String(rows[0]![0]));
    break;
  }
  case 'wordcount':
    await db.run(
      `COPY (SELECT w, count(*) AS n FROM (SELECT unnest(string_split_regex(lower(line), '[ \\t\\n\\v\\f\\r]+')) AS w FROM ${lines(file!)}) WHERE w <> '' GROUP BY w ORDER BY n DESC) TO ${lit(out!)} ${plain}`,
    );
    break;
  case 'distinct':
    await db.run(`COPY (SELECT DISTINCT line FROM ${lines(file!)}) TO ${lit(out!)} ${plain}`);
    break;
  case 'join': {
    const csv = (path: string, columns: string): string =>
      `read_csv(${lit(path)}, columns={${columns}}, delim=',', quote='', escape='', header=false, auto_detect=false)`;
    const fact = csv(file!, `'k': 'VARCHAR', 'q': 'VARCHAR', 'p': 'VARCHAR', 's': 'VARCHAR'`);
    const dim = csv(joinDimensionPath(file!), `'k': 'VARCHAR', 'name': 'VARCHAR'`);
    await db.run(`COPY (SELECT f.k, f.q, f.p, f.s, d.name FROM ${fact} f JOIN ${dim} d ON f.k = d.k) TO ${lit(out!)} (FORMAT csv, HEADER false, DELIMITER ',', QUOTE '', ESCAPE '')`);
    break;
  }
  case 'sort':
    await db.run(`COPY (SELECT line FROM ${lines(file!)} ORDER BY encode(line)) TO ${lit(out!)} ${plain}`);
    break;
  default:
    throw new Error(`unknown task ${task}`);
}
db.closeSync();
instance.closeSync();
