package riskgraph;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.cli.AdminTool;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;

/**
 * Runs Neo4j Community through its embedded API with only the Bolt connector, on loopback.
 *
 * Usage: LocalNeo4j HOME PORT PAGECACHE [key=value ...]. Extra settings come from the caller so that
 * tuning lives in one place (graph/local_server.py). Exits cleanly on SIGTERM.
 *
 * Authentication is on: before Bolt is announced ready, the user {@code neo4j} is given the password in
 * the environment variable RISKGRAPH_NEO4J_PASSWORD (kept by the caller in a file only its owner reads;
 * never on the command line, which every user of the host can list). The embedded API reaches the
 * system database without logging in, so this also secures a store created before auth was on.
 */
public final class LocalNeo4j {
    private LocalNeo4j() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(home);
        Map<String, String> config = new LinkedHashMap<>();
        config.put("server.bolt.enabled", "true");
        config.put("server.bolt.listen_address", "127.0.0.1:" + Integer.parseInt(args[1]));
        config.put("server.bolt.tls_level", "DISABLED");
        config.put("server.http.enabled", "false");
        config.put("server.https.enabled", "false");
        String password = System.getenv("RISKGRAPH_NEO4J_PASSWORD");
        if (password == null || password.length() < 16) {
            throw new IllegalArgumentException("RISKGRAPH_NEO4J_PASSWORD must hold the generated password");
        }
        config.put("dbms.security.auth_enabled", "true");
        config.put("server.memory.pagecache.size", args[2]);
        config.put("db.tx_log.rotation.retention_policy", "2 files");
        for (int i = 3; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            config.put(kv[0], kv[1]);
        }
        // The embedded builder takes raw settings only from a file; strict validation refuses a mistyped name.
        Path conf = home.resolve("neo4j.conf");
        StringBuilder text = new StringBuilder();
        config.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        Files.writeString(conf, text);
        boolean fresh = !Files.exists(home.resolve("data").resolve("databases").resolve("system"));
        if (fresh) {
            // A new store: the password is in place before Bolt first listens (no window with neo4j/neo4j).
            int code = AdminTool.execute(new ExecutionContext(home, home), "dbms", "set-initial-password", password);
            if (code != 0) {
                throw new IllegalStateException("could not set the initial password (exit " + code + ")");
            }
        }
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
        if (!fresh) {
            setPassword(dbms.database("system"), password);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }, "riskgraph-shutdown"));
        System.out.println("riskgraph: neo4j ready on bolt://127.0.0.1:" + args[1]);
        System.out.flush();
        stopped.await();
    }

    /** A store made before (or with another password file): give neo4j the password; the same one is kept. */
    private static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (QueryExecutionException e) {
            if (!e.getMessage().contains("Old password and new password cannot be the same")) {
                throw e;
            }
        }
    }
}
