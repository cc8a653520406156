// ChainMatch's local Neo4j: the Community engine from Maven Central (see pom.xml), embedded in one JVM with its
// Bolt connector opened on a loopback port, for the tests (`make test`) and `make run-neo4j`.
//
//   java -cp 'tools/neo4j/lib-<version>/*' tools/neo4j/Launcher.java --home DIR --port 7687 [--pagecache 128m]
//
// Run as a Java source file (Java 11+), nothing to build. It prints one line
//   CHAINMATCH-NEO4J READY bolt://127.0.0.1:<port> <neo4j version>
// when Bolt accepts connections, and shuts the DBMS down cleanly on SIGTERM / SIGINT (a shutdown hook), so the
// store files are consistent for the next start; with --exit-on-stdin-eof it also stops when its parent goes away.
// tools/neo4j/local.py fetches the jars, starts it, waits for it and stops it.
//
// Settings are written by name to <home>/conf/neo4j.conf and loaded from there (loadPropertiesFromFile), so Neo4j's
// strict config validation checks them: a misspelt name fails the start instead of being ignored.

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.kernel.internal.Version;

public class Launcher {
    public static void main(String[] args) throws Exception {
        String home = null;
        String host = "127.0.0.1";
        int port = 7687;
        String pagecache = "128m";
        String txRetention = "false"; // keep only the newest non-empty transaction log
        boolean watchStdin = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--home" -> home = args[++i];
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--pagecache" -> pagecache = args[++i];
                case "--tx-retention" -> txRetention = args[++i];
                case "--exit-on-stdin-eof" -> watchStdin = true;
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (home == null) {
            System.err.println("usage: Launcher --home DIR [--host 127.0.0.1] [--port 7687] [--pagecache 128m]");
            System.exit(2);
        }
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put("server.bolt.enabled", "true");
        cfg.put("server.bolt.listen_address", host + ":" + port);
        cfg.put("server.bolt.advertised_address", host + ":" + port);
        cfg.put("server.http.enabled", "false");
        cfg.put("server.https.enabled", "false");
        cfg.put("dbms.security.auth_enabled", "false"); // loopback only; production (docker-compose) keeps auth
        cfg.put("server.memory.pagecache.size", pagecache);
        cfg.put("db.tx_log.preallocate", "false");
        cfg.put("db.tx_log.rotation.retention_policy", txRetention);
        cfg.put("dbms.usage_report.enabled", "false");
        cfg.put("db.logs.query.enabled", "OFF");

        Path conf = Path.of(home, "conf", "neo4j.conf");
        Files.createDirectories(conf.getParent());
        StringBuilder text = new StringBuilder("# written by tools/neo4j/Launcher.java at every start\n");
        cfg.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(conf, text.toString(), StandardCharsets.UTF_8);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(Path.of(home))
                .loadPropertiesFromFile(conf)
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                dbms.shutdown();
                System.out.println("CHAINMATCH-NEO4J STOPPED");
                System.out.flush();
            } finally {
                stopped.countDown();
            }
        }, "chainmatch-neo4j-shutdown"));
        GraphDatabaseService db = dbms.database("neo4j");
        if (!db.isAvailable(120_000)) {
            System.err.println("CHAINMATCH-NEO4J FAILED database 'neo4j' not available after 120 s");
            System.exit(1);
        }
        if (watchStdin) {
            // The parent keeps our stdin open; when it exits (even killed) the pipe closes and we stop too, so
            // a crashed test run never leaves a Neo4j behind.
            Thread watch = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // ignore input
                    }
                } catch (java.io.IOException ignored) {
                    // closed
                }
                System.exit(0); // runs the shutdown hook
            }, "chainmatch-neo4j-stdin");
            watch.setDaemon(true);
            watch.start();
        }
        System.out.println("CHAINMATCH-NEO4J READY bolt://" + host + ":" + port + " " + Version.getNeo4jVersion());
        System.out.flush();
        stopped.await();
    }
}
