// aws-local-stepfunctions uses Promise.withResolvers, which Node 20 lacks (docs/CONTRACT.md#tooling-facts).
import '../../runtime/polyfills';
