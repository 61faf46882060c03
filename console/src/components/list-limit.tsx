/** What a list page says when its list stopped at the console's limit (api/client.ts, MAX_PAGES). */
import Alert from '@cloudscape-design/components/alert';

/** The table's counter: `(5000+)` when more items exist than were loaded. */
export const listCounter = (count: number, truncated: boolean): string => `(${count}${truncated ? '+' : ''})`;

export function ListLimitNotice(props: { count: number; what: string; narrow: string }) {
  return (
    <Alert type="info" header={`Showing the first ${props.count.toLocaleString('en-US')} ${props.what}`}>
      More exist; the table, its filter and its sorting cover only these. {props.narrow}
    </Alert>
  );
}
