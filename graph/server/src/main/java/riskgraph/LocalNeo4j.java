package riskgraph;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Runs Neo4j Community through its embedded API with only the Bolt connector, on loopback.
 *
 * Usage: LocalNeo4j HOME PORT PAGECACHE [key=value ...]. Extra settings come from the caller so that
 * tuning lives in one place (graph/local_server.py). Exits cleanly on SIGTERM.
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
        // Loopback only; the project's own state folder. Point NEO4J_URI at a secured server otherwise.
        config.put("dbms.security.auth_enabled", "false");
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
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }, "riskgraph-shutdown"));
        System.out.println("riskgraph: neo4j ready on bolt://127.0.0.1:" + args[1]);
        System.out.flush();
        stopped.await();
    }
}
