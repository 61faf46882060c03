// aws-local-stepfunctions uses Promise.withResolvers, which Node 20 lacks (DESIGN §5).
import '../../runtime/polyfills';
