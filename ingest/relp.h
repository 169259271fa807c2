// ingest/relp.h
//! RELP (the Reliable Event Logging Protocol that rsyslog's omrelp speaks) as a receiver needs
//! it, without I/O: the incremental frame parser, the per-session command rules (the `open`
//! handshake, transaction numbers in sequence, `syslog`, `close`) and the responses.
//!
//! A frame is `TXNR SP COMMAND SP DATALEN [SP DATA] LF`: TXNR 1-9 digits, COMMAND 1-32 letters,
//! DATALEN 1-9 digits, DATA present when DATALEN > 0. A client numbers its frames 1, 2, 3, ...
//! (after 999999999 comes 1) and holds each `syslog` frame until the server answers it with
//! `TXNR rsp 6 200 OK`; unanswered frames are sent again on the next session. The receiver
//! (relp_server.h) answers a `syslog` frame only once the message is durable.
//! Not thread-safe: one RelpFramer and one RelpSession per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kamatama::ingest {

inline constexpr uint32_t kRelpMaxTxnr = 999'999'999;
inline constexpr size_t kRelpMaxCommand = 32;
inline constexpr size_t kRelpMaxDigits = 9;

//! The transaction number after `txnr` (999999999 wraps to 1, as librelp does).
inline uint32_t NextRelpTxnr(uint32_t txnr) { return txnr >= kRelpMaxTxnr ? 1 : txnr + 1; }

struct RelpFrame {
  uint32_t txnr = 0;
  std::string_view command;
  std::string_view data;   //!< at most max_data bytes: the rest of a longer DATA was skipped
  bool truncated = false;  //!< DATALEN was above max_data
};

class RelpFramer {
 public:
  explicit RelpFramer(size_t max_data) : max_data_(max_data) {}

  //! Consumes `in`, calling emit(const RelpFrame&) for each complete frame (its views are valid
  //! during the call only). Returns false on malformed input: the session cannot continue (RELP
  //! has no resynchronisation), error() says why, and later calls consume nothing.
  template <class Emit>
  bool Feed(std::string_view in, Emit&& emit);

  const std::string& error() const { return error_; }
  //! Bytes of an unfinished frame have been read (a frame cut by the end of the connection).
  bool InFrame() const { return state_ != State::kTxnr || digits_ > 0; }

 private:
  enum class State { kTxnr, kCommand, kDatalen, kData, kTrailer, kFailed };
  bool Fail(std::string why) {
    error_ = std::move(why);
    state_ = State::kFailed;
    return false;
  }
  void Reset() {
    state_ = State::kTxnr;
    txnr_ = 0;
    datalen_ = 0;
    digits_ = 0;
    command_.clear();
    data_.clear();
    truncated_ = false;
  }

  size_t max_data_;
  State state_ = State::kTxnr;
  uint32_t txnr_ = 0;
  uint64_t datalen_ = 0;   // DATALEN, then the octets of DATA still to read
  size_t digits_ = 0;      // digits (TXNR, DATALEN) or letters (COMMAND) read in this field
  std::string command_;
  std::string data_;       // DATA of a frame split across reads (at most max_data_)
  bool truncated_ = false;
  std::string error_;
};

//! What a receiver does with one frame (RelpSession::OnFrame).
struct RelpStep {
  enum Kind {
    kMessage,   //!< store `message`; answer `response` once it is durable
    kRespond,   //!< answer `response` now (after the answers already due; RELP clients match by txnr)
    kClose,     //!< the client closes: answer `response` once every earlier message is answered, then close
    kFail,      //!< protocol violation: close the connection without answering (`why` says what)
  } kind = kFail;
  std::string_view message;  //!< kMessage: the syslog message, one trailing LF or NUL removed
  bool truncated = false;    //!< kMessage: cut at the maximum size
  std::string response;      //!< the complete rsp frame to send (kMessage, kRespond, kClose)
  std::string why;           //!< kFail
};

class RelpSession {
 public:
  explicit RelpSession(std::string software = "kamatama") : software_(std::move(software)) {}
  //! Applies the session rules to one frame: `open` first (its offers must include relp_version
  //! and the `syslog` command), then transaction numbers in sequence from the open's.
  RelpStep OnFrame(const RelpFrame& f);
  bool open() const { return open_; }

 private:
  std::string software_;
  bool open_ = false;
  bool closed_ = false;
  uint32_t next_txnr_ = 1;
};

//! Appends `TXNR COMMAND DATALEN[ SP DATA]LF` to *out.
void AppendRelpFrame(std::string* out, uint32_t txnr, std::string_view command, std::string_view data);
//! The `serverclose` hint a server sends before it closes a session (txnr 0).
inline std::string RelpServerCloseHint() { return "0 serverclose 0\n"; }

// ---- implementation ----

template <class Emit>
bool RelpFramer::Feed(std::string_view in, Emit&& emit) {
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    switch (state_) {
      case State::kFailed:
        return false;
      case State::kTxnr: {
        char c = in[i++];
        if (c >= '0' && c <= '9') {
          if (++digits_ > kRelpMaxDigits) return Fail("transaction number longer than 9 digits");
          txnr_ = txnr_ * 10 + static_cast<uint32_t>(c - '0');
        } else if (c == ' ' && digits_ > 0) {
          state_ = State::kCommand;
          digits_ = 0;
        } else {
          return Fail(digits_ == 0 ? "frame does not start with a transaction number" : "bad transaction number");
        }
        break;
      }
      case State::kCommand: {
        char c = in[i++];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
          if (command_.size() >= kRelpMaxCommand) return Fail("command longer than 32 letters");
          command_.push_back(c);
        } else if (c == ' ' && !command_.empty()) {
          state_ = State::kDatalen;
        } else {
          return Fail("bad command");
        }
        break;
      }
      case State::kDatalen: {
        char c = in[i];
        if (c >= '0' && c <= '9') {
          ++i;
          if (++digits_ > kRelpMaxDigits) return Fail("data length longer than 9 digits");
          datalen_ = datalen_ * 10 + static_cast<uint64_t>(c - '0');
          break;
        }
        if (digits_ == 0) return Fail("missing data length");
        if (datalen_ == 0) {  // no data: the trailer follows (this LF is it)
          state_ = State::kTrailer;
          break;
        }
        if (c != ' ') return Fail("no space between data length and data");
        ++i;
        truncated_ = datalen_ > max_data_;
        // The whole DATA in this read: emit without copying.
        if (n - i > datalen_ && in[i + datalen_] == '\n') {
          RelpFrame f{txnr_, command_, in.substr(i, std::min<uint64_t>(datalen_, max_data_)), truncated_};
          i += datalen_ + 1;
          emit(static_cast<const RelpFrame&>(f));
          Reset();
          break;
        }
        state_ = State::kData;
        break;
      }
      case State::kData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(datalen_, n - i));
        size_t room = max_data_ > data_.size() ? max_data_ - data_.size() : 0;
        data_.append(in.data() + i, std::min(take, room));
        i += take;
        datalen_ -= take;
        if (datalen_ == 0) state_ = State::kTrailer;
        break;
      }
      case State::kTrailer: {
        if (in[i++] != '\n') return Fail("frame does not end with LF");
        RelpFrame f{txnr_, command_, data_, truncated_};
        emit(static_cast<const RelpFrame&>(f));
        Reset();
        break;
      }
    }
  }
  return state_ != State::kFailed;
}

}  // namespace kamatama::ingest
