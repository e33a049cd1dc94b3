package org.influx2iceberg.judge;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.UUID;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Values in three forms: the generic form (what IcebergGenerics and GenericParquetReaders return:
 * LocalDateTime, OffsetDateTime, LocalDate, byte[] for fixed...), Iceberg's internal form (what
 * bounds, partition tuples and transforms use: Long micros/nanos, Integer days, ByteBuffer...)
 * and the canonical text of the JSON Lines output (see README.md).
 */
final class Canon {
  private Canon() {}

  private static final long MICROS_PER_SECOND = 1_000_000L;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  static boolean isNanos(Type type) {
    return type.typeId() == Type.TypeID.TIMESTAMP_NANO;
  }

  /** Generic value -> internal value (null stays null). Exact: throws if precision would be lost. */
  static Object internal(Type type, Object v) {
    if (v == null) {
      return null;
    }
    switch (type.typeId()) {
      case TIMESTAMP:
      case TIMESTAMP_NANO:
        {
          long sec;
          int nano;
          if (v instanceof LocalDateTime) {
            LocalDateTime t = (LocalDateTime) v;
            sec = t.toEpochSecond(ZoneOffset.UTC);
            nano = t.getNano();
          } else if (v instanceof OffsetDateTime) {
            OffsetDateTime t = (OffsetDateTime) v;
            sec = t.toEpochSecond();
            nano = t.getNano();
          } else if (v instanceof Long) {
            return v;
          } else {
            throw new IllegalStateException("unexpected " + v.getClass() + " for " + type);
          }
          if (isNanos(type)) {
            return Math.addExact(Math.multiplyExact(sec, NANOS_PER_SECOND), nano);
          }
          if (nano % 1000 != 0) {
            throw new IllegalStateException("sub-microsecond value " + v + " in a " + type + " column");
          }
          return Math.addExact(Math.multiplyExact(sec, MICROS_PER_SECOND), nano / 1000);
        }
      case DATE:
        return v instanceof LocalDate ? (Object) (int) ((LocalDate) v).toEpochDay() : v;
      case TIME:
        return v instanceof LocalTime ? (Object) (((LocalTime) v).toNanoOfDay() / 1000) : v;
      case FIXED:
      case BINARY:
        return v instanceof byte[] ? ByteBuffer.wrap((byte[]) v) : v;
      case STRING:
        return v.toString();
      default:
        return v;
    }
  }

  static boolean isNaN(Object v) {
    return (v instanceof Double && ((Double) v).isNaN()) || (v instanceof Float && ((Float) v).isNaN());
  }

  static String doubleHex(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    String h = Long.toHexString(Double.doubleToRawLongBits(d));
    return "0".repeat(16 - h.length()) + h;
  }

  /**
   * Canonical text of an internal value (used for the JSON output and in messages). Booleans are
   * "true"/"false" here; the JSON output writes them as JSON booleans.
   */
  static String text(Type type, Object v) {
    if (v == null) {
      return "null";
    }
    switch (type.typeId()) {
      case FLOAT:
        return doubleHex(((Float) v).doubleValue());
      case DOUBLE:
        return doubleHex((Double) v);
      case DECIMAL:
        return ((BigDecimal) v).toPlainString();
      case FIXED:
      case BINARY:
        {
          ByteBuffer b = ((ByteBuffer) v).duplicate();
          byte[] bytes = new byte[b.remaining()];
          b.get(bytes);
          return HexFormat.of().formatHex(bytes);
        }
      default:
        return v.toString();
    }
  }

  /** Canonical JSON value -> generic value, for writing records. */
  static Object parse(Type type, JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    String s = n.isTextual() ? n.textValue() : n.asText();
    switch (type.typeId()) {
      case BOOLEAN:
        if (n.isBoolean()) {
          return n.booleanValue();
        }
        if (s.equals("true") || s.equals("false")) {
          return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException("not a boolean: " + n);
      case INTEGER:
        return Integer.parseInt(s);
      case LONG:
        return Long.parseLong(s);
      case FLOAT:
        return (float) parseDouble(s);
      case DOUBLE:
        return parseDouble(s);
      case STRING:
        return s;
      case DATE:
        return LocalDate.ofEpochDay(Long.parseLong(s));
      case TIME:
        return LocalTime.ofNanoOfDay(Math.multiplyExact(Long.parseLong(s), 1000L));
      case TIMESTAMP:
      case TIMESTAMP_NANO:
        {
          long raw = Long.parseLong(s);
          long perSecond = isNanos(type) ? NANOS_PER_SECOND : MICROS_PER_SECOND;
          long sec = Math.floorDiv(raw, perSecond);
          long frac = Math.floorMod(raw, perSecond);
          int nano = (int) (isNanos(type) ? frac : frac * 1000);
          LocalDateTime t = LocalDateTime.ofEpochSecond(sec, nano, ZoneOffset.UTC);
          boolean utc =
              isNanos(type)
                  ? ((Types.TimestampNanoType) type).shouldAdjustToUTC()
                  : ((Types.TimestampType) type).shouldAdjustToUTC();
          return utc ? t.atOffset(ZoneOffset.UTC) : t;
        }
      case DECIMAL:
        // setScale without rounding: throws if the text has more digits than the scale allows
        return new BigDecimal(s).setScale(((Types.DecimalType) type).scale());
      case UUID:
        return UUID.fromString(s);
      case FIXED:
        return HexFormat.of().parseHex(s);
      case BINARY:
        return ByteBuffer.wrap(HexFormat.of().parseHex(s));
      default:
        throw new IllegalArgumentException("cannot parse values of type " + type);
    }
  }

  static double parseDouble(String s) {
    if (s.equals("NaN")) {
      return Double.NaN;
    }
    if (s.length() != 16) {
      throw new IllegalArgumentException("double must be 16 hex digits of its IEEE-754 bits: " + s);
    }
    return Double.longBitsToDouble(Long.parseUnsignedLong(s, 16));
  }
}
