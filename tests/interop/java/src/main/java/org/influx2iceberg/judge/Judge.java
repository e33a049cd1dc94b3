package org.influx2iceberg.judge;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.BaseTable;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.StaticTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.RESTCatalog;

/**
 * Iceberg Java (1.12) as an independent judge of the tables influx2iceberg writes.
 *
 * <pre>
 * java -cp 'target/judge.jar:target/lib/*' org.influx2iceberg.judge.Judge read   [options]
 * java -cp 'target/judge.jar:target/lib/*' org.influx2iceberg.judge.Judge create [options]
 * java -cp 'target/judge.jar:target/lib/*' org.influx2iceberg.judge.Judge selftest
 * </pre>
 *
 * Exit codes: 0 all checks passed, 1 a check failed or Java could not read/write the table (the
 * message on stderr names table, file and field), 2 usage error. See README.md.
 */
public final class Judge {
  static final ObjectMapper MAPPER = new ObjectMapper();

  static final class UsageError extends RuntimeException {
    UsageError(String msg) {
      super(msg);
    }
  }

  private Judge() {}

  public static void main(String[] args) {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    int rc;
    String cmd = args.length > 0 ? args[0] : "";
    try {
      Map<String, String> opts = parseOptions(args);
      switch (cmd) {
        case "read":
          rc = new ReadCommand(opts, out, err).run();
          break;
        case "create":
          rc = new CreateCommand(opts, out, err).run();
          break;
        case "selftest":
          rc = SelfTest.run(err);
          break;
        default:
          throw new UsageError("unknown command '" + cmd + "'");
      }
    } catch (UsageError e) {
      err.println("judge: " + e.getMessage());
      err.println(
          "usage: Judge read (--sqlite DB [--catalog-name N] [--warehouse W] --table NS.NAME |"
              + " --rest URI [--warehouse W] --table NS.NAME | --metadata FILE) [--filter-start RAW] [--filter-end RAW] [--time-column time]\n"
              + "       Judge create --sqlite DB [--catalog-name N] --warehouse W --table NS.NAME"
              + " --schema schema.json --rows rows.jsonl [--partition 'hour(time),identity(host)']"
              + " [--sort 'time'] [--properties k=v,k=v] [--format-version 2] [--commits K]"
              + " [--append true (add to the existing table)]\n"
              + "       Judge selftest");
      rc = 2;
    } catch (Throwable t) {
      err.println("judge: " + cmd + " failed: " + describe(t));
      t.printStackTrace(err);
      rc = 1;
    }
    out.flush();
    err.flush();
    System.exit(rc);
  }

  /** An exception with its causes, one line. */
  static String describe(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (sb.length() > 0) {
        sb.append(" <- ");
      }
      sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
      if (c.getCause() == c) {
        break;
      }
    }
    return sb.toString();
  }

  static Map<String, String> parseOptions(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new UsageError("expected --option value, got '" + args[i] + "'");
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    return opts;
  }

  static String require(Map<String, String> opts, String key) {
    String v = opts.get(key);
    if (v == null) {
      throw new UsageError("--" + key + " is required");
    }
    return v;
  }

  /**
   * A JdbcCatalog over SQLite. With init=false the catalog tables are neither created nor altered;
   * jdbc.schema-version=V0 means Java never migrates them (no ALTER TABLE ... ADD iceberg_type).
   */
  static JdbcCatalog openCatalog(Map<String, String> opts, boolean init) {
    String db = require(opts, "sqlite");
    if (!init && !Files.isRegularFile(Paths.get(db))) {
      throw new UsageError("no SQLite catalog at " + db);
    }
    String warehouse = opts.get("warehouse");
    if (warehouse == null) {
      if (init) {
        throw new UsageError("--warehouse is required");
      }
      warehouse = Paths.get(db).toAbsolutePath().getParent().toString();
    }
    Map<String, String> p = new HashMap<>();
    p.put(CatalogProperties.URI, "jdbc:sqlite:" + db);
    p.put(CatalogProperties.WAREHOUSE_LOCATION, warehouse);
    p.put(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName());
    p.put("jdbc.init-catalog-tables", Boolean.toString(init));
    p.put("jdbc.schema-version", "V0");
    JdbcCatalog catalog = new JdbcCatalog();
    catalog.initialize(opts.getOrDefault("catalog-name", "iceberg"), p);
    return catalog;
  }

  /**
   * Iceberg Java's own REST client on a REST catalog server (uri), for tables in a local
   * warehouse: files are read through LocalFileIO as with --sqlite. --warehouse, when given, is
   * sent as the client's warehouse property.
   */
  static RESTCatalog openRestCatalog(Map<String, String> opts, String uri) {
    Map<String, String> p = new HashMap<>();
    p.put(CatalogProperties.URI, uri);
    if (opts.get("warehouse") != null) {
      p.put(CatalogProperties.WAREHOUSE_LOCATION, opts.get("warehouse"));
    }
    p.put(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName());
    RESTCatalog catalog = new RESTCatalog();
    catalog.initialize(opts.getOrDefault("catalog-name", "rest"), p);
    return catalog;
  }

  /** The DDL of an SQLite database, to prove that loading through JdbcCatalog changed nothing. */
  static String sqliteSchema(String db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")) {
      StringBuilder sb = new StringBuilder();
      while (rs.next()) {
        sb.append(rs.getString(1)).append(' ').append(rs.getString(2)).append(": ").append(rs.getString(3)).append('\n');
      }
      return sb.toString();
    }
  }

  /** Loads the table a read command names: through the SQLite catalog, or from a metadata file. */
  static Table loadTable(Map<String, String> opts) {
    String metadata = opts.get("metadata");
    if (metadata != null) {
      LocalFileIO io = new LocalFileIO();
      return new BaseTable(new StaticTableOperations(metadata, io), metadata);
    }
    String rest = opts.get("rest");
    if (rest != null) {
      return openRestCatalog(opts, rest).loadTable(org.apache.iceberg.catalog.TableIdentifier.parse(require(opts, "table")));
    }
    JdbcCatalog catalog = openCatalog(opts, false);
    return catalog.loadTable(org.apache.iceberg.catalog.TableIdentifier.parse(require(opts, "table")));
  }

  static String json(JsonGen body) {
    try {
      StringWriter w = new StringWriter();
      try (JsonGenerator g = MAPPER.getFactory().createGenerator(w)) {
        body.write(g);
      }
      return w.toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  interface JsonGen {
    void write(JsonGenerator g) throws java.io.IOException;
  }

  static JsonNode readJson(String file) throws java.io.IOException {
    return MAPPER.readTree(Files.readString(Path.of(file), StandardCharsets.UTF_8));
  }

  static List<JsonNode> readJsonLines(String file) throws java.io.IOException {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        rows.add(MAPPER.readTree(line));
      }
    }
    return rows;
  }
}
