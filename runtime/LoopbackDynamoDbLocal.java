/*
 * Starts DynamoDB Local listening on 127.0.0.1 only, for this runtime's requests only. Its command
 * line has no bind address (Jetty then listens on every interface), so this launcher builds the
 * server from the same arguments and sets the host of its connectors before starting it. Loopback
 * is closed to the network, not to the machine's other accounts (docs/SECURITY.md, "The local
 * runtime"), and DynamoDB Local accepts any credentials: so every request must be signed with the
 * access key id its starter drew at random and passed in VPG_DYNAMODB_LOCAL_ACCESS_KEY_ID (the
 * environment, which other users cannot read, unlike the command line); any other request gets
 * DynamoDB's own 400 UnrecognizedClientException. The key id alone suffices: other users cannot
 * read loopback traffic. Run by runtime/dynamodb-loopback.ts with the compiled class:
 * java -cp DynamoDBLocal.jar:<class dir> LoopbackDynamoDbLocal <arguments>.
 */
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDbLocal {
  static final String ACCESS_KEY_ENV = "VPG_DYNAMODB_LOCAL_ACCESS_KEY_ID";
  /** DynamoDB Local takes only letters and digits in a key id. */
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9]{16,128}");

  public static void main(String[] args) throws Exception {
    String keyId = System.getenv(ACCESS_KEY_ENV);
    if (keyId == null || !KEY_ID.matcher(keyId).matches()) {
      System.err.println(ACCESS_KEY_ENV + " must hold the access key id to accept (16-128 letters or digits)");
      System.exit(2);
    }
    String host = System.getProperty("dynamodb.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost(host);
    }
    Handler engine = server.getHandler();
    server.setHandler(new KeyIdGuard(engine, keyId));
    proxy.start();
    System.out.println("DynamoDB Local listening on " + host);
  }

  /** Passes on a request whose SigV4 credential names the accepted key id; answers any other. */
  static final class KeyIdGuard extends Handler.Wrapper {
    private static final Pattern CREDENTIAL = Pattern.compile("Credential=([^/,\\s]*)/");
    private static final String REFUSAL =
        "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\","
            + "\"message\":\"The security token included in the request is invalid.\"}";
    private final byte[] keyId;

    KeyIdGuard(Handler engine, String keyId) {
      super(engine);
      this.keyId = keyId.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      if (accepted(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
        return super.handle(request, response, callback);
      }
      response.setStatus(400);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-amz-json-1.0");
      Content.Sink.write(response, true, REFUSAL, callback);
      return true;
    }

    private boolean accepted(String authorization) {
      if (authorization == null) return false;
      Matcher credential = CREDENTIAL.matcher(authorization);
      // Constant time: the comparison tells nothing about how much of a guess was right.
      return credential.find()
          && MessageDigest.isEqual(credential.group(1).getBytes(StandardCharsets.UTF_8), keyId);
    }
  }
}
