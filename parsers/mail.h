// parsers/mail.h
//! Mail server source parsers: Postfix (mail.postfix), Exim mainlog (mail.exim), Sendmail
//! (mail.sendmail) and Exchange protocol logs (mail.exchange). Hand-written scanners.
//!
//! Common fields: event.dataset, event.kind=event, event.category=email (plus authentication
//! for login failures), event.type, event.action, event.outcome; source.ip/port/domain = the
//! SMTP client, destination.ip/port/domain = the relay or local endpoint; email.local_id =
//! the MTA queue id (Postfix queue id, Exim message id, Sendmail qid), email.from.address,
//! email.to.address, email.message_id; smtp.response.code / smtp.response.enhanced_code /
//! smtp.response.text for the SMTP reply; user.name for SASL / set_id.
#pragma once

#include <string_view>

#include "core/event.h"
#include "parsers/registry.h"

namespace kamatama {

bool LooksLikePostfix(std::string_view message);
bool ParsePostfix(Event* ev);
bool LooksLikeExim(std::string_view message);
bool ParseExim(Event* ev);
bool LooksLikeSendmail(std::string_view message);
bool ParseSendmail(Event* ev);
bool LooksLikeExchange(std::string_view message);
bool ParseExchange(Event* ev);

//! Registers mail.postfix, mail.exim, mail.sendmail, mail.exchange.
void RegisterMailParsers(ParserRegistry* registry);

}  // namespace kamatama
