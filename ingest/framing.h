// ingest/framing.h
//! Splits a TCP syslog byte stream into frames (RFC 6587), detecting the framing per frame:
//! a frame that starts with a non-zero digit run followed by a space is octet-counted
//! ("123 <13>..."), anything else ends at LF. One trailing LF or NUL inside an octet-counted
//! frame is stripped (syslog-ng counts its LF), and a CR before the LF of a line. A frame longer
//! than the maximum is cut at the maximum, flagged truncated, and the rest is skipped.
//! Not thread-safe: one framer per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <cstring>
#include <algorithm>

namespace kamatama::ingest {

class SyslogFramer {
 public:
  explicit SyslogFramer(size_t max_frame) : max_frame_(max_frame) {}

  //! Consumes `data`, calling emit(std::string_view frame, bool truncated) for each complete frame.
  //! Frames are views valid only during the call. Empty frames are not emitted.
  template <class Emit>
  void Feed(std::string_view data, Emit&& emit);

  //! Bytes of an unfinished frame held (a half-sent frame at disconnect).
  size_t Pending() const { return buf_.size() + (state_ == State::kOctet ? 1 : 0); }
  //! Frames discarded as truncated so far.
  uint64_t truncated() const { return truncated_; }

 private:
  enum class State { kStart, kCount, kOctet, kLine, kSkipLine, kSkipOctet };
  static std::string_view StripOctetTail(std::string_view f) {
    if (!f.empty() && (f.back() == '\n' || f.back() == '\0')) f.remove_suffix(1);
    return f;
  }
  static std::string_view StripLineTail(std::string_view f) {
    if (!f.empty() && f.back() == '\r') f.remove_suffix(1);
    return f;
  }

  size_t max_frame_;
  State state_ = State::kStart;
  std::string buf_;        // the current frame's bytes (or count digits in kCount)
  uint64_t remaining_ = 0; // octets still to read in kOctet / kSkipOctet
  uint64_t truncated_ = 0;
};

template <class Emit>
void SyslogFramer::Feed(std::string_view data, Emit&& emit) {
  size_t i = 0;
  const size_t n = data.size();
  while (i < n) {
    switch (state_) {
      case State::kStart: {
        char c = data[i];
        if (c == '\n' || c == '\r' || c == '\0') {  // stray separators between frames
          ++i;
          break;
        }
        if (c >= '1' && c <= '9') {
          state_ = State::kCount;
          buf_.clear();
        } else {
          state_ = State::kLine;
          buf_.clear();
        }
        break;
      }
      case State::kCount: {
        // Digits so far are in buf_; decide octet counting at the first non-digit.
        while (i < n && data[i] >= '0' && data[i] <= '9' && buf_.size() < 12) buf_.push_back(data[i++]);
        if (i == n) return;
        if (data[i] == ' ' && buf_.size() <= 10) {
          ++i;
          remaining_ = std::stoull(buf_);
          buf_.clear();
          state_ = State::kOctet;
        } else {
          state_ = State::kLine;  // the digits were the start of a plain line
        }
        break;
      }
      case State::kOctet: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n - i));
        size_t room = max_frame_ > buf_.size() ? max_frame_ - buf_.size() : 0;
        if (buf_.empty() && take == remaining_ && take <= max_frame_) {
          // Whole frame present in this read: no copy.
          std::string_view f = StripOctetTail(data.substr(i, take));
          if (!f.empty()) emit(f, false);
          i += take;
          remaining_ = 0;
          state_ = State::kStart;
          break;
        }
        buf_.append(data.substr(i, std::min(take, room)));
        i += take;
        remaining_ -= take;
        if (buf_.size() >= max_frame_ && remaining_ > 0) {
          ++truncated_;
          emit(std::string_view(buf_).substr(0, max_frame_), true);
          buf_.clear();
          state_ = State::kSkipOctet;
        } else if (remaining_ == 0) {
          std::string_view f = StripOctetTail(buf_);
          if (!f.empty()) emit(f, false);
          buf_.clear();
          state_ = State::kStart;
        }
        break;
      }
      case State::kSkipOctet: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n - i));
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kStart;
        break;
      }
      case State::kLine: {
        const char* nl = static_cast<const char*>(std::memchr(data.data() + i, '\n', n - i));
        size_t end = nl ? static_cast<size_t>(nl - data.data()) : n;
        if (buf_.empty() && nl && end - i <= max_frame_) {
          std::string_view f = StripLineTail(data.substr(i, end - i));
          if (!f.empty()) emit(f, false);
          i = end + 1;
          state_ = State::kStart;
          break;
        }
        size_t room = max_frame_ > buf_.size() ? max_frame_ - buf_.size() : 0;
        buf_.append(data.substr(i, std::min(end - i, room)));
        bool over = (end - i) > room;
        i = nl ? end + 1 : n;
        if (over) {
          ++truncated_;
          emit(std::string_view(buf_), true);
          buf_.clear();
          state_ = nl ? State::kStart : State::kSkipLine;
        } else if (nl) {
          std::string_view f = StripLineTail(buf_);
          if (!f.empty()) emit(f, false);
          buf_.clear();
          state_ = State::kStart;
        }
        break;
      }
      case State::kSkipLine: {
        const char* nl = static_cast<const char*>(std::memchr(data.data() + i, '\n', n - i));
        if (!nl) return;
        i = static_cast<size_t>(nl - data.data()) + 1;
        state_ = State::kStart;
        break;
      }
    }
  }
}

}  // namespace kamatama::ingest
