// SPDX-License-Identifier: MIT
// The C face of libphonenumber (phone.h): validity of a number by its
// country's numbering plan, national numbers read by their country's
// rules, and known calling codes. No exception leaves here: every entry
// point catches them and answers as for a number it cannot read.
#include "phone.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

// Only "+" and 1..15 digits (plus), or 1..17 digits (national).
bool
digits_only(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (s[n] < '0' || s[n] > '9' || n >= max)
			return false;
	return n > 0;
}

// The verdict of a parsed number; *region is the region the number
// belongs to ("ZZ" when none). IsValidNumber is GetRegionCodeForNumber
// and then IsValidNumberForRegion (phonenumberutil.cc): doing the two
// steps here keeps the region for the caller, and the region look-up
// (the numbering plan's type patterns of every region sharing the
// calling code) runs once, not twice.
kt_phone_verdict_t
verdict(const PhoneNumberUtil *u, const PhoneNumber &num, std::string *region)
{
	u->GetRegionCodeForNumber(num, region);
	if (u->IsValidNumberForRegion(num, *region))
		return KT_PHONE_VALID;
	switch (u->IsPossibleNumberWithReason(num)) {
	case PhoneNumberUtil::INVALID_COUNTRY_CODE:
		return KT_PHONE_BAD_CC;
	case PhoneNumberUtil::TOO_SHORT:
		return KT_PHONE_TOO_SHORT;
	case PhoneNumberUtil::TOO_LONG:
		return KT_PHONE_TOO_LONG;
	default:
		return KT_PHONE_INVALID;
	}
}

void
put_region(char region[3], const std::string &r)
{
	if (region == nullptr)
		return;
	if (r.size() == 2 && r != "ZZ" && r != "001") {
		region[0] = r[0];
		region[1] = r[1];
		region[2] = '\0';
	} else {
		region[0] = '\0';
	}
}

// The main region of calling code cc ("7" -> "RU"), or "ZZ".
std::string
main_region(const PhoneNumberUtil *u, const char *cc)
{
	std::string r = "ZZ";

	if (cc == nullptr || !digits_only(cc, 3) || cc[0] == '0')
		return r;
	u->GetRegionCodeForCountryCode(std::atoi(cc), &r);
	return r;
}

// The verdict of a number the library could not even parse.
kt_phone_verdict_t
parse_verdict(PhoneNumberUtil::ErrorType e)
{
	switch (e) {
	case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
		return KT_PHONE_BAD_CC;
	case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
	case PhoneNumberUtil::TOO_SHORT_NSN:
		return KT_PHONE_TOO_SHORT;
	case PhoneNumberUtil::TOO_LONG_NSN:
		return KT_PHONE_TOO_LONG;
	default:
		return KT_PHONE_INVALID;
	}
}

// Reads "+" digits (digits without the "+") straight into *num as Parse
// reads an international number: the calling code is the first 1 to 3
// digits that are a country's (or a non-geographic service's), the rest
// the national significant number, its leading zeros kept as Parse keeps
// them (SetItalianLeadingZerosForPhoneNumber). What it skips of Parse is
// what a "+" and digits never need: tel: URIs, extensions, punctuation,
// the international prefix, each done with a regular expression, most
// of the cost of a check. Returns false when the digits do not read so.
bool
read_e164(const PhoneNumberUtil *u, const char *digits, PhoneNumber *num)
{
	size_t n = std::strlen(digits);

	if (n == 0 || digits[0] == '0')
		return false;
	for (size_t i = 1; i <= 3 && i < n; i++) {
		const char *nsn = digits + i;
		size_t nn = n - i, zeros = 0;
		std::string r;
		int cc = 0;

		for (size_t j = 0; j < i; j++)
			cc = cc * 10 + (digits[j] - '0');
		u->GetRegionCodeForCountryCode(cc, &r);
		if (r == "ZZ")
			continue;
		if (nn < 2 || nn > 17)
			return false;
		num->set_country_code(cc);
		if (nsn[0] == '0') {
			num->set_italian_leading_zero(true);
			while (zeros < nn - 1 && nsn[zeros] == '0')
				zeros++;
			if (zeros != 1)
				num->set_number_of_leading_zeros((int)zeros);
		}
		num->set_national_number(std::strtoull(nsn, nullptr, 10));
		return true;
	}
	return false;
}

// True when e164 is valid as its digits read (read_e164), belongs to
// *region and formats back to itself. Then Parse would not read it
// otherwise, but for one case: national-prefix stripping, which Parse
// tries on every number and keeps only when the stripped digits also
// fit the country's general pattern; a number valid as written is then
// still taken as written. Anything else (invalid, too short, a number
// Parse would read otherwise) is false, and the caller asks Parse.
bool
valid_as_written(const PhoneNumberUtil *u, const char *e164,
    std::string *region)
{
	PhoneNumber num;
	std::string back;

	if (!read_e164(u, e164 + 1, &num))
		return false;
	u->GetRegionCodeForNumber(num, region);
	if (!u->IsValidNumberForRegion(num, *region))
		return false;
	u->Format(num, PhoneNumberUtil::E164, &back);
	return back == e164;
}

// Both checks: the short way when it confirms the number, else Parse's.
kt_phone_verdict_t
plan_check(const char *e164, char region[3], bool short_way)
{
	put_region(region, "");
	if (e164 == nullptr || e164[0] != '+' || !digits_only(e164 + 1, 15))
		return KT_PHONE_INVALID;
	try {
		const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
		PhoneNumber num;
		std::string r;
		if (short_way && valid_as_written(u, e164, &r)) {
			put_region(region, r);
			return KT_PHONE_VALID;
		}
		PhoneNumberUtil::ErrorType e = u->Parse(e164, "ZZ", &num);
		if (e != PhoneNumberUtil::NO_PARSING_ERROR)
			return parse_verdict(e);
		kt_phone_verdict_t v = verdict(u, num, &r);
		if (v != KT_PHONE_VALID)
			u->GetRegionCodeForCountryCode(num.country_code(), &r);
		put_region(region, r);
		return v;
	} catch (...) {
		return KT_PHONE_INVALID;
	}
}

} // namespace

extern "C" kt_phone_verdict_t
kt_phone_plan_check(const char *e164, char region[3])
{
	return plan_check(e164, region, true);
}

extern "C" kt_phone_verdict_t
kt_phone_plan_check_parsed(const char *e164, char region[3])
{
	return plan_check(e164, region, false);
}

extern "C" kt_phone_verdict_t
kt_phone_plan_national(const char *digits, const char *cc, char out[17],
    char region[3])
{
	out[0] = '\0';
	put_region(region, "");
	if (digits == nullptr || !digits_only(digits, 17))
		return KT_PHONE_INVALID;
	try {
		const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
		std::string r = main_region(u, cc), e164;
		PhoneNumber num;
		if (r == "ZZ" || r == "001")
			return KT_PHONE_BAD_CC;
		put_region(region, r);
		PhoneNumberUtil::ErrorType e = u->Parse(digits, r, &num);
		if (e != PhoneNumberUtil::NO_PARSING_ERROR)
			return parse_verdict(e);
		// A national number must stay in its country: digits that
		// parse into another code (an international prefix typed)
		// are the caller's to read as such.
		if (num.country_code() != std::atoi(cc))
			return KT_PHONE_INVALID;
		kt_phone_verdict_t v = verdict(u, num, &r);
		if (v != KT_PHONE_VALID)
			return v;
		put_region(region, r);
		u->Format(num, PhoneNumberUtil::E164, &e164);
		if (e164.size() > 16)
			return KT_PHONE_TOO_LONG;
		std::memcpy(out, e164.c_str(), e164.size() + 1);
		return KT_PHONE_VALID;
	} catch (...) {
		return KT_PHONE_INVALID;
	}
}

extern "C" int
kt_phone_plan_cc_known(const char *cc)
{
	try {
		std::string r = main_region(PhoneNumberUtil::GetInstance(), cc);
		return r != "ZZ" && r != "001";
	} catch (...) {
		return 0;
	}
}

extern "C" const char *
kt_phone_plan_region_name(const char *region)
{
	// The countries people here dial most; others by their code.
	static const struct {
		const char *code, *name;
	} names[] = {
		{ "RU", "Russia" }, { "KZ", "Kazakhstan" }, { "BY", "Belarus" },
		{ "UA", "Ukraine" }, { "UZ", "Uzbekistan" }, { "KG", "Kyrgyzstan" },
		{ "AM", "Armenia" }, { "GE", "Georgia" }, { "AZ", "Azerbaijan" },
		{ "TJ", "Tajikistan" }, { "MD", "Moldova" }, { "DE", "Germany" },
		{ "US", "the United States" }, { "GB", "the United Kingdom" },
		{ "FR", "France" }, { "IT", "Italy" }, { "TR", "Turkey" },
		{ "CN", "China" }, { "IL", "Israel" }, { "FI", "Finland" },
	};

	if (region == nullptr)
		return "";
	for (const auto &n : names)
		if (std::strcmp(n.code, region) == 0)
			return n.name;
	return region;
}
