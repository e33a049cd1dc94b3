package org.influx2iceberg.judge;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code selftest}: create + read round trips on throwaway tables (v2 µs and v3 ns, partitioned,
 * odd names and values), through the catalog and the metadata file, with and without a filter.
 * Proves the Java stack works on this machine; install-deps.sh also runs it to record the class
 * data sharing archive that makes later JVM starts faster.
 */
final class SelfTest {
  private SelfTest() {}

  private static final String SCHEMA =
      "[{\"name\":\"time\",\"type\":\"%s\",\"required\":true},"
          + "{\"name\":\"host name\",\"type\":\"string\",\"required\":false},"
          + "{\"name\":\"温度\",\"type\":\"double\",\"required\":false},"
          + "{\"name\":\"n\",\"type\":\"long\",\"required\":false},"
          + "{\"name\":\"ok\",\"type\":\"boolean\",\"required\":false},"
          + "{\"name\":\"u\",\"type\":\"decimal(20, 0)\",\"required\":false}]";

  private static final String[] ROWS = {
    "{\"time\":\"-86400000001\",\"host name\":\"a\",\"温度\":\"8000000000000000\",\"n\":\"-9223372036854775808\"}",
    "{\"time\":\"0\",\"host name\":\"😀 ünïcödé longer than sixteen\",\"温度\":\"NaN\",\"ok\":true}",
    "{\"time\":\"3600000001\",\"温度\":\"3ff8000000000000\",\"n\":\"9223372036854775807\",\"u\":\"18446744073709551615\"}",
    "{\"time\":\"90000000000\",\"host name\":\"b\\\"q\",\"ok\":false}",
  };

  static int run(PrintStream err) throws Exception {
    Path dir = Files.createTempDirectory("judge-selftest");
    try {
      check(dir, "v2", "timestamp", "2", 1, "0", "3600000000");
      check(dir, "v3", "timestamp_ns", "3", 1000, "0", "3600000000000");
      err.println("judge: selftest ok (" + dir + ")");
      return 0;
    } finally {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void check(Path dir, String name, String timeType, String formatVersion, long scale,
      String filterStart, String filterEnd) throws Exception {
    Path schema = dir.resolve(name + ".schema.json");
    Path rows = dir.resolve(name + ".rows.jsonl");
    Files.writeString(schema, String.format(SCHEMA, timeType), StandardCharsets.UTF_8);
    List<String> input = new ArrayList<>();
    for (String r : ROWS) {
      // the time values above are µs; v3 scales them to ns
      JsonNode n = Judge.MAPPER.readTree(r);
      long t = Long.parseLong(n.get("time").asText()) * scale;
      input.add(r.replaceFirst("\"time\":\"-?\\d+\"", "\"time\":\"" + t + "\""));
    }
    Files.write(rows, input, StandardCharsets.UTF_8);
    String db = dir.resolve("catalog.db").toString();

    Map<String, String> create = new LinkedHashMap<>();
    create.put("sqlite", db);
    create.put("warehouse", dir.toString());
    create.put("table", "selftest." + name);
    create.put("schema", schema.toString());
    create.put("rows", rows.toString());
    create.put("partition", "hour(time),identity(host name)");
    create.put("sort", "time");
    create.put("format-version", formatVersion);
    create.put("commits", "2");
    String created = runCommand(true, create);
    String metadata = Judge.MAPPER.readTree(created).get("metadata_location").asText();

    Map<String, String> read = new LinkedHashMap<>();
    read.put("sqlite", db);
    read.put("table", "selftest." + name);
    List<String> viaCatalog = lines(runCommand(false, read));
    expectRows(name, viaCatalog, input);

    Map<String, String> byFile = new LinkedHashMap<>();
    byFile.put("metadata", metadata);
    byFile.put("filter-start", filterStart);
    byFile.put("filter-end", filterEnd);
    List<String> filtered = lines(runCommand(false, byFile));
    JsonNode header = Judge.MAPPER.readTree(filtered.get(0));
    if (header.get("rows").asInt() != 1 || header.get("files_planned").asInt() >= header.get("files_total").asInt()) {
      throw new IllegalStateException(name + ": filtered read gave " + header);
    }
  }

  /** Runs create or read with its stdout captured; fails on a non-zero exit. */
  private static String runCommand(boolean create, Map<String, String> opts) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
    int rc = create ? new CreateCommand(opts, out, err).run() : new ReadCommand(opts, out, err).run();
    if (rc != 0) {
      throw new IllegalStateException("selftest: " + (create ? "create" : "read") + " " + opts + " exited " + rc);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  private static String sorted(String json) throws Exception {
    return new TreeMap<String, Object>(Judge.MAPPER.readValue(json, Map.class)).toString();
  }

  private static List<String> lines(String text) {
    return new ArrayList<>(Arrays.asList(text.split("\n")));
  }

  /** Rows equal as sets of JSON objects (keys compared sorted). */
  private static void expectRows(String name, List<String> output, List<String> input) throws Exception {
    List<String> got = new ArrayList<>();
    for (String l : output.subList(1, output.size())) {
      got.add(sorted(l));
    }
    List<String> want = new ArrayList<>();
    for (String l : input) {
      want.add(sorted(l));
    }
    Collections.sort(got);
    Collections.sort(want);
    if (!got.equals(want)) {
      throw new IllegalStateException(name + ": read back " + got + "\nwritten " + want);
    }
  }
}
