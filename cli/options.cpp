#include "cli/options.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "base/error.h"

namespace cudagrad {
namespace cli {

namespace {

// CLI11 reads "-1" as a short option, so "--lr -1" would leave --lr
// without a value. Joining each known option with the word after it
// ("--lr=-1") makes the word its value whatever it starts with, as
// "--name value" always meant here; only another "--option" is not taken.
Args join_values(const CLI::App& app, const Args& args) {
  Args out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    const CLI::Option* option =
        word.compare(0, 2, "--") == 0 && word.find('=') == std::string::npos
            ? app.get_option_no_throw(word)
            : nullptr;
    const bool takes_value = option && option->get_expected_max() > 0;
    if (takes_value && i + 1 < args.size() && args[i + 1].compare(0, 2, "--") != 0) {
      out.push_back(word + "=" + args[i + 1]);
      ++i;
    } else {
      out.push_back(word);
    }
  }
  return out;
}

// CLI11's "NAME: message" as cudagrad's "NAME message".
std::string without_colon(const std::string& what) {
  const size_t colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(0, colon) + " " + what.substr(colon + 2);
}

// "--epochs: 1 required N missing" -> "--epochs".
std::string option_named_in(const std::string& what) { return what.substr(0, what.find(':')); }

bool parse_integer(const std::string& text, long long& value) {
  char* end = nullptr;
  errno = 0;
  value = std::strtoll(text.c_str(), &end, 10);
  return !text.empty() && *end == '\0' && errno == 0;
}

}  // namespace

void set_up_app(CLI::App& app, const std::string& name, const std::string& summary) {
  app.name("cudagrad " + name);
  app.description(summary);
  app.set_help_flag();  // no -h/--help: `cudagrad help <name>`
  app.allow_extras();   // unknown words are reported by parse(), one line
  // Every option is "--name value": a repeated one is an error, not the last wins.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::Throw);
  app.get_formatter()->column_width(34);
}

void parse(CLI::App& app, const Args& args) {
  const std::string command = app.get_name().substr(app.get_name().find(' ') + 1);
  // Required options are checked after the unknown ones (below).
  std::vector<CLI::Option*> required;
  for (CLI::Option* option : app.get_options())
    if (option->get_required()) {
      required.push_back(option);
      option->required(false);
    }
  Args words = join_values(app, args);
  // A misspelt option is named first, before any value is checked.
  for (const std::string& word : words)
    if (word.compare(0, 2, "--") == 0 && !app.get_option_no_throw(word.substr(0, word.find('='))))
      throw Error("unknown option " + word.substr(0, word.find('=')) + " (see 'cudagrad help " +
                  command + "')");
  try {
    // CLI11 takes the words last first.
    std::vector<std::string> reversed(words.rbegin(), words.rend());
    app.parse(reversed);
  } catch (const CLI::ArgumentMismatch& e) {
    const std::string what = e.what();
    if (what.find("missing") != std::string::npos) throw Error(option_named_in(what) + " needs a value");
    throw Error(option_named_in(what) + " is given twice");
  } catch (const CLI::ValidationError& e) {
    throw Error(without_colon(e.what()));
  } catch (const CLI::ParseError& e) {
    throw Error(std::string(e.what()) + " (see 'cudagrad help " + command + "')");
  }
  for (CLI::Option* option : required) option->required(true);

  const std::vector<std::string> extra = app.remaining();
  for (const std::string& word : extra)
    if (word.compare(0, 1, "-") == 0)
      throw Error("unknown option " + word.substr(0, word.find('=')) + " (see 'cudagrad help " +
                  command + "')");
  if (!extra.empty())
    throw Error("unexpected argument '" + extra.front() + "' (see 'cudagrad help " + command + "')");
  for (const CLI::Option* option : required)
    if (option->count() == 0) {
      const std::string type = option->get_type_name();
      throw Error(command + " needs " + option->get_name() + (type.empty() ? "" : " " + type));
    }
}

std::string help_text(const CLI::App& app) { return app.help(); }

CLI::Validator integer_in(long long low, long long high) {
  std::ostringstream range;
  range << "[" << low << ", " << high << "]";
  return CLI::Validator(
      [low, high, range = range.str()](std::string& text) -> std::string {
        long long v = 0;
        if (!parse_integer(text, v)) return "expects an integer, got '" + text + "'";
        if (v < low || v > high) return "must be in " + range + ", got " + text;
        return "";
      },
      "");
}

CLI::Validator number_in(double low, double high, bool open_low) {
  std::ostringstream range;
  range << (open_low ? "(" : "[") << low << ", " << high << "]";
  return CLI::Validator(
      [low, high, open_low, range = range.str()](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        const bool number = !text.empty() && *end == '\0';
        if (!number || (open_low ? v <= low : v < low) || v > high)
          return "expects a number in " + range + ", got '" + text + "'";
        return "";
      },
      "");
}

CLI::Validator zero_or_one() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return text == "0" || text == "1" ? "" : "expects 0 or 1, got '" + text + "'";
      },
      "");
}

CLI::Validator one_of(const std::vector<std::string>& names) {
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  return CLI::Validator(
      [names, list](std::string& text) -> std::string {
        for (const std::string& n : names)
          if (n == text) return "";
        return "must be one of " + list + ", got '" + text + "'";
      },
      "");
}

int capped_threads(int threads) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (cores <= 0 || threads <= cores) return threads;
  std::fprintf(stderr, "warning: --threads %d: this machine has %d cores; using %d\n", threads,
               cores, cores);
  return cores;
}

CLI::Option* add_threads_option(CLI::App& app, int& threads) {
  return app.add_option("--threads", threads, "CPU threads (0: all cores; at most the cores)")
      ->type_name("N")
      ->check(integer_in(0, 1000000));  // capped_threads lowers it to the cores
}

CLI::Option* add_device_option(CLI::App& app, std::string& device) {
  return app.add_option("--device", device, "where to run (auto: a GPU when there is one)")
      ->type_name("auto|cpu|cuda")
      ->check(one_of({"auto", "cpu", "cuda"}));
}

}  // namespace cli
}  // namespace cudagrad
