package org.influx2iceberg.judge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.MetricsModes;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.PartitionSpecParser;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SortOrderParser;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableMetadata;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.TableScan;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Comparators;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;
import org.apache.iceberg.util.DateTimeUtil;
import org.apache.iceberg.util.UnicodeUtil;

/**
 * {@code read}: loads a table with Iceberg Java, validates it (snapshot chain, planning, every live
 * data file against its manifest entry) and prints a header line plus one JSON line per row read
 * by IcebergGenerics.
 */
final class ReadCommand {
  private static final int MAX_FAILURES = 50;

  private final Map<String, String> opts;
  private final PrintStream out;
  private final PrintStream err;
  private final List<String> failures = new ArrayList<>();
  private String label;
  private Table table;
  private Schema schema;

  // the time filter
  private Types.NestedField timeField;
  private Long start;
  private Long end;

  ReadCommand(Map<String, String> opts, PrintStream out, PrintStream err) {
    this.opts = opts;
    this.out = out;
    this.err = err;
  }

  private void fail(String msg) {
    if (failures.size() < MAX_FAILURES) {
      failures.add(label + ": " + msg);
    } else if (failures.size() == MAX_FAILURES) {
      failures.add(label + ": ... more failures not shown");
    }
  }

  private void note(String msg) {
    err.println("judge: note: " + label + ": " + msg);
  }

  int run() throws Exception {
    String db = opts.get("sqlite");
    int sources = (db != null ? 1 : 0) + (opts.containsKey("metadata") ? 1 : 0) + (opts.containsKey("rest") ? 1 : 0);
    if (sources != 1) {
      throw new Judge.UsageError("read needs exactly one of --sqlite (with --table), --rest (with --table) and --metadata");
    }
    label = opts.containsKey("metadata") ? "metadata " + opts.get("metadata") : "table " + Judge.require(opts, "table");
    if (db != null && !Files.isRegularFile(java.nio.file.Paths.get(db))) {
      throw new Judge.UsageError("no SQLite catalog at " + db);
    }
    String ddlBefore = db != null ? Judge.sqliteSchema(db) : null;

    try {
      table = Judge.loadTable(opts);
    } catch (RuntimeException e) {
      err.println("judge: " + label + ": Iceberg Java could not load the table: " + Judge.describe(e));
      e.printStackTrace(err);
      return 1;
    }
    if (db != null && !ddlBefore.equals(Judge.sqliteSchema(db))) {
      fail("JdbcCatalog changed the SQLite catalog schema:\nbefore:\n" + ddlBefore + "after:\n" + Judge.sqliteSchema(db));
    }
    schema = table.schema();
    TableMetadata md = ((HasTableOperations) table).operations().current();

    checkSnapshots(md);
    Expression filter = buildFilter();

    // planning: all live data files, then the filtered plan
    // (includeColumnStats: without it planning drops the metric maps from the DataFiles)
    List<FileScanTask> all = plan(table.newScan().includeColumnStats());
    List<FileScanTask> planned = filter == null ? all : plan(table.newScan().filter(filter));

    // every live data file, read on its own with Java's Parquet reader (streamed: only a 64-bit
    // hash of each row in range is kept, to compare with the scan below)
    LongList expected = new LongList();
    Set<String> plannedPaths = new HashSet<>();
    for (FileScanTask t : planned) {
      plannedPaths.add(t.file().location());
    }
    long liveRecords = 0;
    for (FileScanTask task : all) {
      DataFile f = task.file();
      liveRecords += f.recordCount();
      long inRange = checkFile(task, expected);
      if (filter != null && inRange > 0 && !plannedPaths.contains(f.location())) {
        fail("file " + f.location() + " has " + inRange + " rows in the filter range but Java's"
            + " planning pruned it (partition or column bounds wrong?)");
      }
    }
    if (filter != null) {
      checkPlannedPartitions(planned);
    }
    if (md.formatVersion() >= 3) {
      checkRowLineage(md, all);
    }
    Snapshot current = table.currentSnapshot();
    if (current != null) {
      checkSummaryTotal(current, "total-data-files", all.size());
      checkSummaryTotal(current, "total-records", liveRecords);
    }

    // the rows as the table scan reads them (IcebergGenerics applies the filter row by row too),
    // spooled to a temporary file because the header, which counts them, comes first
    LongList actual = new LongList();
    Path spool = Files.createTempFile("judge-rows", ".jsonl");
    try {
      try (Writer w = Files.newBufferedWriter(spool, StandardCharsets.UTF_8)) {
        IcebergGenerics.ScanBuilder sb = IcebergGenerics.read(table);
        if (filter != null) {
          sb = sb.where(filter);
        }
        try (CloseableIterable<Record> it = sb.build()) {
          for (Record r : it) {
            String json = rowJson(r);
            if (!inRange(r)) {
              fail("IcebergGenerics returned a row outside the filter range: " + json);
            }
            actual.add(hash(json));
            w.write(json);
            w.write('\n');
          }
        } catch (RuntimeException e) {
          fail("IcebergGenerics.read failed: " + Judge.describe(e));
          e.printStackTrace(err);
        }
      }
      compareRows(actual, expected, spool, filter != null);

      out.println(header(md, all.size(), planned.size(), actual.size()));
      try (BufferedReader r = Files.newBufferedReader(spool, StandardCharsets.UTF_8)) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          out.println(line);
        }
      }
      out.flush();
    } finally {
      Files.deleteIfExists(spool);
    }

    for (String f : failures) {
      err.println("judge: FAIL " + f);
    }
    return failures.isEmpty() ? 0 : 1;
  }

  private final java.security.MessageDigest sha256 = newSha256();

  private static java.security.MessageDigest newSha256() {
    try {
      return java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** 64 bits of the SHA-256 of a row's JSON: rows are compared as multisets of these. */
  private long hash(String rowJson) {
    byte[] d = sha256.digest(rowJson.getBytes(StandardCharsets.UTF_8));
    return java.nio.ByteBuffer.wrap(d).getLong();
  }

  /** A growable long array. */
  static final class LongList {
    private long[] a = new long[1024];
    private int n = 0;

    void add(long v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    int size() {
      return n;
    }

    long[] sorted() {
      long[] c = Arrays.copyOf(a, n);
      Arrays.sort(c);
      return c;
    }
  }

  /** The scan's rows and the files' rows (in range) must be equal multisets (compared by hash). */
  private void compareRows(LongList actual, LongList expected, Path spool, boolean filtered) throws IOException {
    long[] a = actual.sorted();
    long[] b = expected.sorted();
    if (Arrays.equals(a, b)) {
      return;
    }
    Set<Long> scanOnly = new HashSet<>();
    int i = 0;
    int j = 0;
    long missing = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i] < b[j])) {
        scanOnly.add(a[i++]);
      } else if (i >= a.length || b[j] < a[i]) {
        missing++;
        j++;
      } else {
        i++;
        j++;
      }
    }
    StringBuilder examples = new StringBuilder();
    try (BufferedReader r = Files.newBufferedReader(spool, StandardCharsets.UTF_8)) {
      int shown = 0;
      for (String line = r.readLine(); line != null && shown < 3; line = r.readLine()) {
        if (scanOnly.contains(hash(line))) {
          examples.append("\n  only in the scan: ").append(line);
          shown++;
        }
      }
    }
    fail("IcebergGenerics read " + a.length + " rows" + (filtered ? " in range" : "")
        + " but the live files read one by one give " + b.length + " (" + scanOnly.size()
        + " distinct rows only in the scan, " + missing + " rows only in the files)" + examples);
  }

  private List<FileScanTask> plan(TableScan scan) {
    List<FileScanTask> tasks = new ArrayList<>();
    try (CloseableIterable<FileScanTask> it = scan.planFiles()) {
      for (FileScanTask t : it) {
        tasks.add(t);
        if (!t.deletes().isEmpty()) {
          note("file " + t.file().location() + " has " + t.deletes().size() + " delete files");
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return tasks;
  }

  // ---- snapshots ----

  private void checkSnapshots(TableMetadata md) {
    List<Snapshot> snaps = md.snapshots();
    for (int i = 0; i < snaps.size(); i++) {
      Snapshot s = snaps.get(i);
      Long expectedParent = i == 0 ? null : snaps.get(i - 1).snapshotId();
      if (!Objects.equals(s.parentId(), expectedParent)) {
        fail("snapshot history not linear: snapshot " + s.snapshotId() + " (#" + i + ") has parent "
            + s.parentId() + ", the previous snapshot is " + expectedParent);
      }
      if (md.formatVersion() >= 2 && i > 0 && s.sequenceNumber() <= snaps.get(i - 1).sequenceNumber()) {
        fail("snapshot " + s.snapshotId() + " sequence number " + s.sequenceNumber()
            + " not above the previous " + snaps.get(i - 1).sequenceNumber());
      }
      if (md.formatVersion() >= 2 && s.sequenceNumber() > md.lastSequenceNumber()) {
        fail("snapshot " + s.snapshotId() + " sequence number " + s.sequenceNumber()
            + " above last-sequence-number " + md.lastSequenceNumber());
      }
      checkAddedFiles(md, s);
    }
    Snapshot current = md.currentSnapshot();
    if (!snaps.isEmpty() && (current == null || current.snapshotId() != snaps.get(snaps.size() - 1).snapshotId())) {
      fail("current snapshot " + (current == null ? null : current.snapshotId())
          + " is not the last snapshot " + snaps.get(snaps.size() - 1).snapshotId());
    }
  }

  /** The files a snapshot added agree with its summary and carry its sequence number. */
  private void checkAddedFiles(TableMetadata md, Snapshot s) {
    long files = 0;
    long records = 0;
    try {
      for (DataFile f : s.addedDataFiles(table.io())) {
        files++;
        records += f.recordCount();
        if (md.formatVersion() >= 2
            && (!Objects.equals(f.dataSequenceNumber(), s.sequenceNumber())
                || !Objects.equals(f.fileSequenceNumber(), s.sequenceNumber()))) {
          fail("file " + f.location() + " added by snapshot " + s.snapshotId() + " (sequence "
              + s.sequenceNumber() + ") has data/file sequence numbers " + f.dataSequenceNumber()
              + "/" + f.fileSequenceNumber());
        }
      }
    } catch (RuntimeException e) {
      fail("snapshot " + s.snapshotId() + ": reading its manifests failed: " + Judge.describe(e));
      return;
    }
    checkSummaryValue(s, "added-data-files", files);
    checkSummaryValue(s, "added-records", records);
  }

  private void checkSummaryValue(Snapshot s, String key, long actual) {
    String v = s.summary() == null ? null : s.summary().get(key);
    if (v != null && !v.equals(Long.toString(actual))) {
      fail("snapshot " + s.snapshotId() + " summary " + key + "=" + v + " but its manifests hold " + actual);
    }
  }

  private void checkSummaryTotal(Snapshot s, String key, long actual) {
    String v = s.summary() == null ? null : s.summary().get(key);
    if (v != null && !v.equals(Long.toString(actual))) {
      fail("current snapshot " + s.snapshotId() + " summary " + key + "=" + v + " but planning finds " + actual);
    }
  }

  /**
   * v3 row lineage: snapshots' first-row-id ranges follow each other below next-row-id, and every
   * live data file has a first_row_id (its own or inherited from its manifest) with disjoint
   * [first_row_id, first_row_id + record_count) ranges below next-row-id.
   */
  private void checkRowLineage(TableMetadata md, List<FileScanTask> live) {
    long next = md.nextRowId();
    long floor = 0;
    for (Snapshot s : md.snapshots()) {
      if (s.firstRowId() == null || s.addedRows() == null) {
        fail("v3 snapshot " + s.snapshotId() + " lacks first-row-id or added-rows");
        return;
      }
      if (s.firstRowId() < floor || s.firstRowId() + s.addedRows() > next) {
        fail("v3 snapshot " + s.snapshotId() + " rows [" + s.firstRowId() + ", +" + s.addedRows()
            + ") overlap the previous snapshot's (ending " + floor + ") or pass next-row-id " + next);
      }
      floor = s.firstRowId() + s.addedRows();
    }
    List<long[]> ranges = new ArrayList<>();
    for (FileScanTask t : live) {
      DataFile f = t.file();
      if (f.firstRowId() == null) {
        fail("v3 file " + f.location() + " has no first_row_id (neither its own nor its manifest's)");
        continue;
      }
      ranges.add(new long[] {f.firstRowId(), f.firstRowId() + f.recordCount()});
      if (f.firstRowId() < 0 || f.firstRowId() + f.recordCount() > next) {
        fail("v3 file " + f.location() + " row ids [" + f.firstRowId() + ", +" + f.recordCount()
            + ") outside [0, next-row-id " + next + ")");
      }
    }
    ranges.sort(Comparator.comparingLong(r -> r[0]));
    for (int i = 1; i < ranges.size(); i++) {
      if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
        fail("v3 row id ranges of two live files overlap: [" + ranges.get(i - 1)[0] + ", "
            + ranges.get(i - 1)[1] + ") and [" + ranges.get(i)[0] + ", " + ranges.get(i)[1] + ")");
      }
    }
  }

  // ---- the time filter ----

  private Expression buildFilter() {
    String s = opts.get("filter-start");
    String e = opts.get("filter-end");
    if (s == null && e == null) {
      return null;
    }
    String column = opts.getOrDefault("time-column", "time");
    timeField = schema.findField(column);
    if (timeField == null) {
      throw new Judge.UsageError(label + " has no column '" + column + "' to filter on");
    }
    Type.TypeID id = timeField.type().typeId();
    if (id != Type.TypeID.TIMESTAMP && id != Type.TypeID.TIMESTAMP_NANO && id != Type.TypeID.LONG) {
      throw new Judge.UsageError("column '" + column + "' is " + timeField.type() + ", not a timestamp");
    }
    Expression expr = Expressions.alwaysTrue();
    if (s != null) {
      start = Long.parseLong(s);
      expr = Expressions.and(expr, Expressions.greaterThanOrEqual(column, literal(start)));
    }
    if (e != null) {
      end = Long.parseLong(e);
      expr = Expressions.and(expr, Expressions.lessThan(column, literal(end)));
    }
    return expr;
  }

  /**
   * The literal for a raw value in the column's unit. Iceberg 1.12 reads a Long literal against a
   * timestamp_ns column as MICROseconds (Literals.LongLiteral.to(TimestampNanoType) goes through
   * TimestampLiteral), so nanosecond columns get an ISO string, which it parses to nanoseconds.
   */
  private Object literal(long raw) {
    if (timeField.type().typeId() != Type.TypeID.TIMESTAMP_NANO) {
      return raw;
    }
    return ((Types.TimestampNanoType) timeField.type()).shouldAdjustToUTC()
        ? DateTimeUtil.nanosToIsoTimestamptz(raw)
        : DateTimeUtil.nanosToIsoTimestamp(raw);
  }

  private boolean inRange(Record r) {
    if (timeField == null) {
      return true;
    }
    Object v = Canon.internal(timeField.type(), r.getField(timeField.name()));
    if (v == null) {
      return false;
    }
    long t = (Long) v;
    return (start == null || t >= start) && (end == null || t < end);
  }

  /** No planned file may have a partition (on the time column) lying wholly outside the range. */
  private void checkPlannedPartitions(List<FileScanTask> planned) {
    long perMicro = timeField.type().typeId() == Type.TypeID.TIMESTAMP_NANO ? 1000 : 1;
    boolean isLong = timeField.type().typeId() == Type.TypeID.LONG;
    for (FileScanTask t : planned) {
      DataFile f = t.file();
      PartitionSpec spec = table.specs().get(f.specId());
      Class<?>[] classes = spec.javaClasses();
      for (int j = 0; j < spec.fields().size(); j++) {
        PartitionField pf = spec.fields().get(j);
        if (pf.sourceId() != timeField.fieldId()) {
          continue;
        }
        Object pv = f.partition().get(j, classes[j]);
        String transform = pf.transform().toString();
        long[] range = isLong && !transform.equals("identity") ? null : partitionRange(transform, pv, perMicro);
        if (range == null) {
          continue;
        }
        if ((end != null && range[0] >= end) || (start != null && range[1] <= start)) {
          fail("file " + f.location() + " was planned although its partition " + pf.name() + "="
              + pv + " covers [" + range[0] + ", " + range[1] + ") outside the filter ["
              + start + ", " + end + ")");
        }
      }
    }
  }

  /** [lo, hi) in the column's unit covered by a time partition value, or null if not a time transform. */
  static long[] partitionRange(String transform, Object pv, long perMicro) {
    if (pv == null) {
      return null;
    }
    long hour = 3_600_000_000L * perMicro;
    long day = 24 * hour;
    int v = pv instanceof Integer ? (Integer) pv : 0;
    switch (transform) {
      case "hour":
        return new long[] {v * hour, (v + 1L) * hour};
      case "day":
        return new long[] {v * day, (v + 1L) * day};
      case "month":
        return new long[] {
          LocalDate.ofEpochDay(0).plusMonths(v).toEpochDay() * day,
          LocalDate.ofEpochDay(0).plusMonths(v + 1L).toEpochDay() * day
        };
      case "year":
        return new long[] {
          LocalDate.ofEpochDay(0).plusYears(v).toEpochDay() * day,
          LocalDate.ofEpochDay(0).plusYears(v + 1L).toEpochDay() * day
        };
      case "identity":
        return new long[] {(Long) pv, (Long) pv + 1};
      default:
        return null;
    }
  }

  // ---- one data file ----

  /** Nulls, NaNs, min and max of one column over the rows of a file. */
  private static final class ColumnAcc {
    final Type.PrimitiveType type;
    final Comparator<Object> cmp;
    long nulls;
    long nans;
    Object min;
    Object max;

    ColumnAcc(Type.PrimitiveType type) {
      this.type = type;
      this.cmp = comparator(type);
    }

    void add(Object generic) {
      Object v = Canon.internal(type, generic);
      if (v == null) {
        nulls++;
      } else if (Canon.isNaN(v)) {
        nans++;
      } else {
        if (min == null || cmp.compare(v, min) < 0) {
          min = v;
        }
        if (max == null || cmp.compare(v, max) > 0) {
          max = v;
        }
      }
    }
  }

  /**
   * Reads a live data file with Java's Parquet reader (streamed) and checks it against its manifest
   * entry. Adds the hash of each row in the filter range to {@code inRangeRows}; returns their count.
   */
  @SuppressWarnings("unchecked")
  private long checkFile(FileScanTask task, LongList inRangeRows) {
    DataFile f = task.file();
    String where = "file " + f.location();
    if (f.content() != FileContent.DATA || f.format() != FileFormat.PARQUET) {
      fail(where + ": content " + f.content() + ", format " + f.format() + " (expected DATA, PARQUET)");
      return 0;
    }
    try {
      long size = Files.size(LocalFileIO.toPath(f.location()));
      if (size != f.fileSizeInBytes()) {
        fail(where + ": file_size_in_bytes " + f.fileSizeInBytes() + " but the file has " + size + " bytes");
      }
    } catch (NoSuchFileException e) {
      fail(where + ": missing on disk");
      return 0;
    } catch (IOException e) {
      fail(where + ": " + e);
      return 0;
    }

    // what is checked per row: column accumulators, and each partition field's transform
    List<Types.NestedField> columns = schema.columns();
    ColumnAcc[] acc = new ColumnAcc[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).type().isPrimitiveType()) {
        acc[i] = new ColumnAcc(columns.get(i).type().asPrimitiveType());
      }
    }
    PartitionSpec spec = table.specs().get(f.specId());
    if (spec == null) {
      fail(where + ": unknown partition spec id " + f.specId());
      return 0;
    }
    if (f.partition().size() != spec.fields().size()) {
      fail(where + ": partition tuple has " + f.partition().size() + " fields, spec " + spec.specId()
          + " has " + spec.fields().size());
      return 0;
    }
    int nparts = spec.fields().size();
    int[] sourcePos = new int[nparts];
    Function<Object, Object>[] transforms = new Function[nparts];
    Object[] partitionValues = new Object[nparts];
    boolean[] partitionFailed = new boolean[nparts];
    for (int j = 0; j < nparts; j++) {
      PartitionField pf = spec.fields().get(j);
      sourcePos[j] = -1;
      for (int i = 0; i < columns.size(); i++) {
        if (columns.get(i).fieldId() == pf.sourceId()) {
          sourcePos[j] = i;
        }
      }
      if (sourcePos[j] < 0) {
        note(where + ": partition field " + pf.name() + " has no top-level source column; not checked");
        continue;
      }
      transforms[j] = (Function<Object, Object>) (Function<?, ?>) pf.transform().bind(columns.get(sourcePos[j]).type());
      partitionValues[j] = f.partition().get(j, spec.javaClasses()[j]);
    }

    Parquet.ReadBuilder rb =
        Parquet.read(table.io().newInputFile(f.location(), f.fileSizeInBytes()))
            .project(schema)
            .reuseContainers()
            .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema));
    String mapping = table.properties().get(TableProperties.DEFAULT_NAME_MAPPING);
    if (mapping != null) {
      rb = rb.withNameMapping(NameMappingParser.fromJson(mapping));
    }
    long rows = 0;
    long inRange = 0;
    try (CloseableIterable<Record> it = rb.build()) {
      for (Record r : it) {
        rows++;
        for (int i = 0; i < acc.length; i++) {
          if (acc[i] != null) {
            acc[i].add(r.get(i));
          }
        }
        for (int j = 0; j < nparts; j++) {
          if (transforms[j] == null || partitionFailed[j]) {
            continue;
          }
          Type srcType = columns.get(sourcePos[j]).type();
          Object v = Canon.internal(srcType, r.get(sourcePos[j]));
          Object tv = transforms[j].apply(v);
          if (!samePartitionValue(tv, partitionValues[j])) {
            PartitionField pf = spec.fields().get(j);
            fail(where + ": partition " + pf.name() + "=" + partitionValues[j] + " but a row with "
                + columns.get(sourcePos[j]).name() + "=" + Canon.text(srcType, v) + " maps to "
                + pf.transform() + " = " + tv);
            partitionFailed[j] = true;
          }
        }
        if (inRange(r)) {
          inRange++;
          inRangeRows.add(hash(rowJson(r)));
        }
      }
    } catch (IOException | RuntimeException e) {
      fail(where + ": Java's Parquet reader failed: " + Judge.describe(e));
      return 0;
    }
    if (rows != f.recordCount()) {
      fail(where + ": record_count " + f.recordCount() + " but Java's Parquet reader read " + rows + " rows");
    }
    checkMetrics(f, acc, rows, where);
    return inRange;
  }

  private void checkMetrics(DataFile f, ColumnAcc[] acc, long rows, String where) {
    MetricsConfig metricsConfig = MetricsConfig.forTable(table);
    Map<Integer, Long> valueCounts = f.valueCounts();
    Map<Integer, Long> nullCounts = f.nullValueCounts();
    Map<Integer, Long> nanCounts = f.nanValueCounts();
    Map<Integer, ByteBuffer> lowers = f.lowerBounds();
    Map<Integer, ByteBuffer> uppers = f.upperBounds();
    if (valueCounts == null && nullCounts == null && lowers == null && uppers == null) {
      note(where + ": no column metrics at all");
    }
    List<Types.NestedField> columns = schema.columns();
    for (int i = 0; i < columns.size(); i++) {
      Types.NestedField field = columns.get(i);
      int id = field.fieldId();
      String fd = where + " field '" + field.name() + "' (id " + id + ", " + field.type() + ")";
      if (acc[i] == null) {
        note(fd + ": nested column, metrics not checked");
        continue;
      }
      Type.PrimitiveType type = acc[i].type;
      long nulls = acc[i].nulls;
      long nans = acc[i].nans;
      Long vc = valueCounts == null ? null : valueCounts.get(id);
      if (vc != null && vc != rows) {
        fail(fd + ": value_counts " + vc + " but Java read " + rows + " values (nulls included)");
      }
      Long nc = nullCounts == null ? null : nullCounts.get(id);
      if (nc != null && nc != nulls) {
        fail(fd + ": null_value_counts " + nc + " but Java read " + nulls + " nulls");
      }
      Long nan = nanCounts == null ? null : nanCounts.get(id);
      if (nan != null) {
        boolean floating = type.typeId() == Type.TypeID.DOUBLE || type.typeId() == Type.TypeID.FLOAT;
        if (!floating) {
          fail(fd + ": nan_value_counts present for a non-floating column");
        } else if (nan != nans) {
          fail(fd + ": nan_value_counts " + nan + " but Java read " + nans + " NaNs");
        }
      }
      MetricsModes.MetricsMode mode = metricsConfig.columnMode(field.name());
      checkBound(fd, "lower", type, acc[i].cmp, mode, lowers == null ? null : lowers.get(id), acc[i].min);
      checkBound(fd, "upper", type, acc[i].cmp, mode, uppers == null ? null : uppers.get(id), acc[i].max);
    }
  }

  @SuppressWarnings("unchecked")
  private static Comparator<Object> comparator(Type.PrimitiveType type) {
    return (Comparator<Object>) (Comparator<?>) Comparators.forType(type);
  }

  /**
   * A bound must be valid (lower <= min, upper >= max by Iceberg's comparator, never NaN, absent
   * when there is no non-null non-NaN value) and equal to what Java itself would write: exact,
   * strings truncated by UnicodeUtil per the column's metrics mode, and a zero double lower/upper
   * bound may be -0.0/+0.0 whichever zero occurred.
   */
  private void checkBound(String fd, String which, Type.PrimitiveType type, Comparator<Object> cmp,
      MetricsModes.MetricsMode mode, ByteBuffer buf, Object actual) {
    if (buf == null) {
      return;
    }
    boolean lower = which.equals("lower");
    Object bound;
    try {
      bound = Conversions.fromByteBuffer(type, buf.duplicate());
    } catch (RuntimeException e) {
      fail(fd + ": " + which + " bound (" + buf.remaining() + " bytes) does not decode: " + Judge.describe(e));
      return;
    }
    if (bound instanceof CharSequence) {
      bound = bound.toString();
    }
    String bt = Canon.text(type, bound);
    if (Canon.isNaN(bound)) {
      fail(fd + ": " + which + " bound is NaN");
      return;
    }
    if (actual == null) {
      fail(fd + ": " + which + " bound " + bt + " present but the file has no non-null, non-NaN value");
      return;
    }
    String at = Canon.text(type, actual);
    int c = cmp.compare(bound, actual);
    if (lower ? c > 0 : c < 0) {
      fail(fd + ": " + which + " bound " + bt + (lower ? " > min " : " < max ") + at + " of the values read");
      return;
    }
    if (mode == MetricsModes.None.get() || mode == MetricsModes.Counts.get()) {
      note(fd + ": " + which + " bound present though the metrics mode is " + mode);
      return;
    }
    switch (type.typeId()) {
      case STRING:
        {
          String expected = (String) actual;
          if (mode instanceof MetricsModes.Truncate) {
            int n = ((MetricsModes.Truncate) mode).length();
            expected = lower ? UnicodeUtil.truncateStringMin((String) actual, n) : UnicodeUtil.truncateStringMax((String) actual, n);
          }
          if (lower && !((String) actual).startsWith((String) bound)) {
            fail(fd + ": lower bound \"" + bt + "\" is not a prefix of min \"" + at + "\"");
          } else if (expected != null && !expected.equals(bound)) {
            fail(fd + ": " + which + " bound \"" + bt + "\" but Java (" + mode + ") writes \"" + expected
                + "\" for " + (lower ? "min" : "max") + " \"" + at + "\"");
          }
          break;
        }
      case BINARY:
      case FIXED:
        break; // valid is enough (Java truncates binary too)
      case DOUBLE:
      case FLOAT:
        {
          double b = ((Number) bound).doubleValue();
          double a = ((Number) actual).doubleValue();
          boolean zeroRule = a == 0.0 && b == 0.0 && (lower ? 1 / b < 0 : 1 / b > 0);
          if (c != 0 && !zeroRule) {
            fail(fd + ": " + which + " bound " + bt + " but the " + (lower ? "min" : "max") + " read is " + at);
          }
          break;
        }
      default:
        if (c != 0) {
          fail(fd + ": " + which + " bound " + bt + " but the " + (lower ? "min" : "max") + " read is " + at);
        }
    }
  }

  private static boolean samePartitionValue(Object a, Object b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a instanceof CharSequence && b instanceof CharSequence) {
      return a.toString().equals(b.toString());
    }
    return a.equals(b);
  }

  // ---- output ----

  /** A row as a JSON object keyed by column name, NULLs omitted, values canonical. */
  private String rowJson(Record r) {
    List<Types.NestedField> columns = schema.columns();
    return Judge.json(g -> {
      g.writeStartObject();
      for (int i = 0; i < columns.size(); i++) {
        Types.NestedField field = columns.get(i);
        Object v = r.get(i);
        if (v == null) {
          continue;
        }
        g.writeFieldName(field.name());
        if (field.type().typeId() == Type.TypeID.BOOLEAN) {
          g.writeBoolean((Boolean) v);
        } else if (field.type().isPrimitiveType()) {
          g.writeString(Canon.text(field.type(), Canon.internal(field.type(), v)));
        } else {
          g.writeString(v.toString());
        }
      }
      g.writeEndObject();
    });
  }

  private String header(TableMetadata md, int filesTotal, int filesPlanned, int rows) {
    return Judge.json(g -> {
      g.writeStartObject();
      g.writeNumberField("format_version", md.formatVersion());
      g.writeStringField("location", md.location());
      g.writeFieldName("schema");
      g.writeStartArray();
      for (Types.NestedField field : schema.columns()) {
        g.writeStartObject();
        g.writeNumberField("id", field.fieldId());
        g.writeStringField("name", field.name());
        g.writeStringField("type", field.type().toString());
        g.writeBooleanField("required", field.isRequired());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeFieldName("spec");
      g.writeTree(Judge.MAPPER.readTree(PartitionSpecParser.toJson(table.spec())));
      g.writeFieldName("sort_order");
      g.writeTree(Judge.MAPPER.readTree(SortOrderParser.toJson(table.sortOrder())));
      g.writeObjectField("properties", new java.util.TreeMap<>(table.properties()));
      g.writeFieldName("snapshots");
      g.writeStartArray();
      for (Snapshot s : md.snapshots()) {
        g.writeStartObject();
        g.writeNumberField("snapshot_id", s.snapshotId());
        if (s.parentId() == null) {
          g.writeNullField("parent_id");
        } else {
          g.writeNumberField("parent_id", s.parentId());
        }
        g.writeNumberField("sequence_number", s.sequenceNumber());
        g.writeStringField("operation", s.operation());
        g.writeObjectField("summary", s.summary());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeNumberField("files_total", filesTotal);
      g.writeNumberField("files_planned", filesPlanned);
      g.writeNumberField("rows", rows);
      g.writeEndObject();
    });
  }
}
