// A join with kiln's embedded API: orders joined with customers on the first CSV
// field, the strategy chosen at run time. Run it after `npm run build`:
//   node examples/join.mjs ORDERS.csv CUSTOMERS.csv
//
// Each line becomes [key, rest]. join() shuffles both sides by key, or, when one side's
// map output is at most autoBroadcastJoinThreshold (10 MiB), broadcasts it and reads
// the other side unshuffled; explain() then says which it chose and from what sizes.
import { Kiln } from '../dist/engine/index.js'; // from a project that installed kiln: 'kiln'

const [ordersPath, customersPath] = process.argv.slice(2);
if (!customersPath) {
  console.error('usage: node examples/join.mjs ORDERS.csv CUSTOMERS.csv');
  process.exit(2);
}

const kiln = await Kiln.start();
try {
  const byKey = (line) => {
    const comma = line.indexOf(',');
    return comma < 0 ? [line, ''] : [line.slice(0, comma), line.slice(comma + 1)];
  };
  const orders = kiln.textFile(ordersPath).map(byKey);
  const customers = kiln.textFile(customersPath).map(byKey);
  const joined = orders.leftOuterJoin(customers);
  for (const [key, [order, customer]] of await joined.collect()) console.log(`${key},${order},${customer ?? '(no customer)'}`);
  console.error(joined.explain());
} finally {
  await kiln.stop();
}
