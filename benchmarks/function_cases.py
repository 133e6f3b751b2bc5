"""A held-back set of function-calling cases, apart from the workspace evaluation (``eval_cases``).

Three categories of 40, each case one question and the functions offered with it:

* ``single``: one function is offered and fits; right = it is called with the right arguments;
* ``choice``: four functions are offered, one fits; right = that one is called;
* ``decline``: one to three functions are offered, none fits (a greeting, general knowledge, a
  poem); right = no call.

The functions are made up (weather, currency, timers…) so that nothing in a2ia's own tool
prompts or tuning has seen them. Nothing here was used to tune a2ia (``_decision``'s margin
was set on a different set of 16 prompts); keep it that way, or the figures mean nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from a2ia.types import ToolSpec


def _fn(name: str, description: str, **properties: str) -> ToolSpec:
    kinds = {"str": "string", "num": "number", "int": "integer"}
    schema = {
        "type": "object",
        "properties": {k: {"type": kinds[v]} for k, v in properties.items()},
        "required": list(properties),
    }
    return ToolSpec(name=name, description=description, input_schema=schema)


FUNCTIONS = [
    _fn("get_weather", "Get the current weather in a city.", city="str"),
    _fn("convert_currency", "Convert an amount of money from one currency to another (ISO codes).", amount="num", from_currency="str", to_currency="str"),
    _fn("set_timer", "Set a countdown timer for a number of minutes.", minutes="int"),
    _fn("translate_text", "Translate a text into another language.", text="str", target_language="str"),
    _fn("get_stock_price", "Get the latest price of a stock by its ticker symbol.", symbol="str"),
    _fn("send_email", "Send an email with a subject line to an address.", to="str", subject="str"),
    _fn("calculate_tip", "Calculate the tip for a restaurant bill.", bill_amount="num", tip_percent="num"),
    _fn("define_word", "Look up the dictionary definition of an English word.", word="str"),
    _fn("book_table", "Book a table at a restaurant for a number of people.", restaurant="str", people="int"),
    _fn("play_song", "Play a song by its title.", title="str"),
]

# For each function, four phrasings with the arguments they name (single) and four more (choice).
ASKS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "get_weather": [
        ("What's the weather like in Paris?", {"city": "Paris"}),
        ("Is it raining in Tokyo right now?", {"city": "Tokyo"}),
        ("Tell me the current weather in Cairo.", {"city": "Cairo"}),
        ("How is the weather in Oslo today?", {"city": "Oslo"}),
        ("Check the weather in Lima for me.", {"city": "Lima"}),
        ("What is the weather in Berlin?", {"city": "Berlin"}),
        ("Weather report for Madrid, please.", {"city": "Madrid"}),
        ("Do I need an umbrella in London today? Check the weather.", {"city": "London"}),
    ],
    "convert_currency": [
        ("Convert 100 USD to EUR.", {"amount": 100, "from_currency": "USD", "to_currency": "EUR"}),
        ("How much is 50 GBP in JPY?", {"amount": 50, "from_currency": "GBP", "to_currency": "JPY"}),
        ("Change 20 EUR into USD.", {"amount": 20, "from_currency": "EUR", "to_currency": "USD"}),
        ("Convert 75 CAD to USD please.", {"amount": 75, "from_currency": "CAD", "to_currency": "USD"}),
        ("What is 300 JPY in EUR?", {"amount": 300, "from_currency": "JPY", "to_currency": "EUR"}),
        ("Convert 10 CHF to GBP.", {"amount": 10, "from_currency": "CHF", "to_currency": "GBP"}),
        ("I have 40 AUD; how many USD is that?", {"amount": 40, "from_currency": "AUD", "to_currency": "USD"}),
        ("Convert 5 EUR to CHF.", {"amount": 5, "from_currency": "EUR", "to_currency": "CHF"}),
    ],
    "set_timer": [
        ("Set a timer for 10 minutes.", {"minutes": 10}),
        ("Start a 5 minute timer.", {"minutes": 5}),
        ("Remind me in 30 minutes with a timer.", {"minutes": 30}),
        ("Set a countdown of 15 minutes.", {"minutes": 15}),
        ("Timer for 20 minutes, please.", {"minutes": 20}),
        ("Set a timer for 3 minutes for my tea.", {"minutes": 3}),
        ("Can you start a 45 minute timer?", {"minutes": 45}),
        ("Put a timer on for 8 minutes.", {"minutes": 8}),
    ],
    "translate_text": [
        ("Translate 'good morning' into French.", {"text": "good morning", "target_language": "French"}),
        ("How do you say 'thank you' in Spanish? Translate it.", {"text": "thank you", "target_language": "Spanish"}),
        ("Translate 'where is the station' to German.", {"text": "where is the station", "target_language": "German"}),
        ("Please translate 'I love you' into Italian.", {"text": "I love you", "target_language": "Italian"}),
        ("Translate 'see you tomorrow' into Portuguese.", {"text": "see you tomorrow", "target_language": "Portuguese"}),
        ("Translate 'good night' to Japanese.", {"text": "good night", "target_language": "Japanese"}),
        ("Translate 'how much is it' into Dutch.", {"text": "how much is it", "target_language": "Dutch"}),
        ("Translate 'happy birthday' into Polish.", {"text": "happy birthday", "target_language": "Polish"}),
    ],
    "get_stock_price": [
        ("What is the stock price of AAPL?", {"symbol": "AAPL"}),
        ("How much does one MSFT share cost now?", {"symbol": "MSFT"}),
        ("Get me the latest price for TSLA.", {"symbol": "TSLA"}),
        ("Check the share price of NVDA.", {"symbol": "NVDA"}),
        ("What's AMZN trading at?", {"symbol": "AMZN"}),
        ("Look up the stock price of GOOG.", {"symbol": "GOOG"}),
        ("Current price of the IBM stock?", {"symbol": "IBM"}),
        ("What does INTC stock cost today?", {"symbol": "INTC"}),
    ],
    "send_email": [
        ("Send an email to bob@example.com with the subject 'Lunch'.", {"to": "bob@example.com", "subject": "Lunch"}),
        ("Email ann@example.org, subject 'Meeting moved'.", {"to": "ann@example.org", "subject": "Meeting moved"}),
        ("Write to joe@example.net with the subject 'Invoice'.", {"to": "joe@example.net", "subject": "Invoice"}),
        ("Send sue@example.com an email titled 'Hello'.", {"to": "sue@example.com", "subject": "Hello"}),
        ("Send an email to tom@example.com with the subject 'Report'.", {"to": "tom@example.com", "subject": "Report"}),
        ("Email kim@example.org with subject 'Party'.", {"to": "kim@example.org", "subject": "Party"}),
        ("Send max@example.net a message with the subject 'Tickets'.", {"to": "max@example.net", "subject": "Tickets"}),
        ("Mail eva@example.com, subject 'Photos'.", {"to": "eva@example.com", "subject": "Photos"}),
    ],
    "calculate_tip": [
        ("How much is a 15% tip on a $80 bill?", {"bill_amount": 80, "tip_percent": 15}),
        ("Calculate a 20 percent tip for a 45 dollar bill.", {"bill_amount": 45, "tip_percent": 20}),
        ("What tip should I leave on $60 at 18%?", {"bill_amount": 60, "tip_percent": 18}),
        ("Work out a 10% tip on a bill of 120.", {"bill_amount": 120, "tip_percent": 10}),
        ("Tip of 25% on $32?", {"bill_amount": 32, "tip_percent": 25}),
        ("Calculate the tip on a $90 bill at 15 percent.", {"bill_amount": 90, "tip_percent": 15}),
        ("What is a 12% tip on 50 dollars?", {"bill_amount": 50, "tip_percent": 12}),
        ("Figure out a 22% tip for a $70 dinner.", {"bill_amount": 70, "tip_percent": 22}),
    ],
    "define_word": [
        ("What does the word 'ephemeral' mean?", {"word": "ephemeral"}),
        ("Define 'ubiquitous'.", {"word": "ubiquitous"}),
        ("Look up the meaning of 'serendipity'.", {"word": "serendipity"}),
        ("Give me the definition of 'laconic'.", {"word": "laconic"}),
        ("What is the meaning of 'gregarious'?", {"word": "gregarious"}),
        ("Define the word 'resilient'.", {"word": "resilient"}),
        ("What does 'meticulous' mean?", {"word": "meticulous"}),
        ("Look up 'benevolent' in the dictionary.", {"word": "benevolent"}),
    ],
    "book_table": [
        ("Book a table for 4 at Luigi's.", {"restaurant": "Luigi's", "people": 4}),
        ("Reserve a table for 2 people at Sakura.", {"restaurant": "Sakura", "people": 2}),
        ("Get us a table for 6 at The Oak.", {"restaurant": "The Oak", "people": 6}),
        ("I need a table for 3 at Bistro Blue.", {"restaurant": "Bistro Blue", "people": 3}),
        ("Book Chez Marie for 5 people.", {"restaurant": "Chez Marie", "people": 5}),
        ("Reserve a table at Golden Dragon for 8.", {"restaurant": "Golden Dragon", "people": 8}),
        ("Table for 2 at Casa Verde, please.", {"restaurant": "Casa Verde", "people": 2}),
        ("Book a table for 7 at Harbor Grill.", {"restaurant": "Harbor Grill", "people": 7}),
    ],
    "play_song": [
        ("Play the song 'Yesterday'.", {"title": "Yesterday"}),
        ("Put on 'Bohemian Rhapsody'.", {"title": "Bohemian Rhapsody"}),
        ("I want to hear 'Imagine'. Play it.", {"title": "Imagine"}),
        ("Play 'Hotel California' please.", {"title": "Hotel California"}),
        ("Can you play 'Wonderwall'?", {"title": "Wonderwall"}),
        ("Play the track 'Hey Jude'.", {"title": "Hey Jude"}),
        ("Start playing 'Let It Be'.", {"title": "Let It Be"}),
        ("Play 'Purple Rain'.", {"title": "Purple Rain"}),
    ],
}

DECLINES = [
    "Hi there!", "Good morning, how are you?", "Thanks, that's all.", "What is the capital of Italy?",
    "Who wrote Romeo and Juliet?", "What is 7 times 8?", "Write a haiku about autumn.", "Tell me a joke.",
    "What is the boiling point of water in Celsius?", "Name three primary colors.", "How many legs does a spider have?",
    "What is photosynthesis, in one sentence?", "Say hello in a friendly way.", "What year did World War II end?",
    "Give me a synonym for happy.", "Who painted the Mona Lisa?", "What is the largest planet in the solar system?",
    "Write one sentence about the sea.", "What is the square root of 81?", "How many days are in a week?",
    "What color is the sky on a clear day?", "Suggest a name for a pet cat.", "What is the opposite of cold?",
    "Explain what a noun is.", "Which ocean is the largest?", "What language is spoken in Brazil?",
    "How many continents are there?", "Write a short greeting for a birthday card.", "What is H2O?",
    "Who was the first person on the Moon?", "What is the plural of mouse?", "Count from one to five.",
    "What do bees make?", "Is a tomato a fruit or a vegetable?", "What is the freezing point of water in Fahrenheit?",
    "Recommend a good habit for the morning.", "What is the main ingredient of guacamole?", "Good night!",
    "How many hours are in a day?", "What shape has three sides?",
]

Category = Literal["single", "choice", "decline"]
CATEGORIES: tuple[Category, ...] = ("single", "choice", "decline")


@dataclass(frozen=True)
class FunctionCase:
    category: Category
    question: str
    offered: tuple[ToolSpec, ...]
    expected: str | None = None  # the function to call; None: no call
    arguments: dict[str, Any] = field(default_factory=dict)


def _offer(right: int, count: int, shift: int) -> tuple[ToolSpec, ...]:
    picks = [right] + [(right + step) % len(FUNCTIONS) for step in (3, 5, 7)][: count - 1]
    turn = shift % len(picks)
    picks = picks[turn:] + picks[:turn]
    return tuple(FUNCTIONS[i] for i in picks)


def build_cases() -> list[FunctionCase]:
    cases = []
    index = {f.name: i for i, f in enumerate(FUNCTIONS)}
    for n in range(40):
        fn = FUNCTIONS[n % 10]
        question, arguments = ASKS[fn.name][n // 10]
        cases.append(FunctionCase("single", question, (fn,), fn.name, arguments))
    for n in range(40):
        fn = FUNCTIONS[n % 10]
        question, arguments = ASKS[fn.name][4 + n // 10]
        cases.append(FunctionCase("choice", question, _offer(index[fn.name], 4, n), fn.name, arguments))
    for n, question in enumerate(DECLINES):
        cases.append(FunctionCase("decline", question, _offer(n % 10, 1 + n % 3, n)))
    return cases


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        try:
            return float(got) == float(want)
        except (TypeError, ValueError):
            return False
    return str(got).strip().strip("'\"").casefold() == str(want).casefold()


def right(case: FunctionCase, calls: list[tuple[str, dict[str, Any]]]) -> bool:
    """Whether the reply's calls (name, arguments) are right for ``case`` (see the module's docstring)."""
    if case.category == "decline":
        return not calls
    if not calls or calls[0][0] != case.expected:
        return False
    if case.category == "choice":
        return True
    got = calls[0][1]
    return all(_same(got.get(k), v) for k, v in case.arguments.items())


# --- a tuning set, apart from the held-back one: other functions, other questions ---------------
# What a2ia's decision step is tuned on (``_decision``); the held-back cases above are only measured.

TUNING_FUNCTIONS = [
    _fn("get_time", "Get the current time in a time zone.", timezone="str"),
    _fn("search_news", "Search the latest news about a topic.", topic="str"),
    _fn("add_event", "Add an event to the calendar.", title="str", date="str"),
    _fn("get_directions", "Get driving directions between two places.", origin="str", destination="str"),
    _fn("order_pizza", "Order a pizza of a given size.", size="str"),
]
TUNING_ASKS = [
    ("get_time", "What time is it in Tokyo?"), ("get_time", "Tell me the current time in UTC."),
    ("get_time", "What's the time in New York right now?"), ("get_time", "Current time in Berlin?"),
    ("search_news", "Find the latest news about electric cars."), ("search_news", "Any news on the elections?"),
    ("search_news", "Search news about football."), ("search_news", "What's new in space exploration? Search the news."),
    ("add_event", "Add 'Dentist' to my calendar on 2025-03-04."), ("add_event", "Put 'Team lunch' in the calendar for Friday."),
    ("add_event", "Create a calendar event 'Gym' for tomorrow."), ("add_event", "Schedule 'Call mom' on Sunday."),
    ("get_directions", "How do I drive from Boston to Chicago?"), ("get_directions", "Directions from the airport to the hotel, please."),
    ("get_directions", "Get me directions from Rome to Naples."), ("get_directions", "Route from home to work?"),
    ("order_pizza", "Order a large pizza."), ("order_pizza", "I'd like a small pizza delivered."),
    ("order_pizza", "Get me a medium pizza."), ("order_pizza", "Order one pizza, size large."),
]
TUNING_DECLINES = [
    "Hello!", "How are you today?", "What is the capital of Spain?", "Who wrote Hamlet?", "What is 12 plus 30?",
    "Write a limerick about a cat.", "Tell me a fun fact.", "What is gravity?", "Name a fruit that is yellow.",
    "How many wheels does a bicycle have?", "What is the chemical symbol for gold?", "Say something nice.",
    "Which animal is known as the king of the jungle?", "What is the longest river in Africa?", "Thank you!",
    "Give me a word that rhymes with cat.", "What is a verb?", "How many minutes are in an hour?",
    "What do cows drink?", "See you later!",
]


def tuning_cases() -> list[FunctionCase]:
    by_name = {f.name: f for f in TUNING_FUNCTIONS}
    out = []
    for n, (name, question) in enumerate(TUNING_ASKS):
        others = [f for f in TUNING_FUNCTIONS if f.name != name][: n % 4]
        out.append(FunctionCase("single" if not others else "choice", question, (by_name[name], *others), name))
    for n, question in enumerate(TUNING_DECLINES):
        out.append(FunctionCase("decline", question, tuple(TUNING_FUNCTIONS[(n + k) % 5] for k in range(1 + n % 3))))
    return out
