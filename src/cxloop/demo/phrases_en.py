"""English and code-switched (Korean/English) feedback fragments, with English channel framing."""

from __future__ import annotations

# fmt: off
# Phrase and name tables stay compact: one fragment per line would triple the file for no clarity.
# Slots: {product} {order} {days} {date} {amount} {carrier} {wait} {agent} {version} {coupon} {brand}
SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {
        "neg": (
            "I ordered {days} days ago and it still says preparing for shipment",
            "Where is my {product}? Delivery is way too slow",
            "It was supposed to arrive on {date} and I still don't have it",
            "Tracking has been stuck at the same hub for days",
            "The app says delivered but there is nothing at my door",
            "I can't reach the {carrier} driver at all",
            "I received a completely different item from what I ordered",
            "Nobody told me the delivery would be delayed",
            "Tracking number for order {order} doesn't work",
        ),
        "pos": (
            "Super fast delivery, ordered yesterday and it came today",
            "Dawn delivery worked perfectly, it was at my door by 7am",
            "The {product} arrived much faster than expected",
            "The driver texted before coming, very convenient",
            "Arrived exactly on the estimated date",
        ),
    },
    "refund": {
        "neg": (
            "I requested a return {days} days ago and still no refund",
            "When will I get my {amount} won back?",
            "Nobody came to pick up the return",
            "Why should I pay return shipping when the item was faulty?",
            "You said the refund was processed but my card shows nothing",
            "Store credit instead of a card refund is not acceptable",
        ),
        "pos": (
            "The return was picked up the very next day",
            "Refund came through quickly, thanks",
            "Exchange process was painless",
            "Got the {amount} won back on my card right away",
        ),
    },
    "price": {
        "neg": (
            "It's {amount} won more expensive than other shops",
            "Feels like you raised the price before the sale",
            "Shipping fee is too high",
            "The price in the cart was different from checkout",
            "Price dropped the day after I bought the {product}, can I get the difference?",
        ),
        "pos": (
            "Great value for the price",
            "Got it cheap during the sale",
            "Cheaper than anywhere else I checked",
            "At this price the {product} is a steal",
        ),
    },
    "quality": {
        "neg": (
            "The {product} was defective out of the box",
            "The color looks nothing like the photos",
            "Poor finish and a strong chemical smell",
            "It broke after {days} days of use",
            "Is this even genuine? Quality is terrible",
            "Size doesn't match the chart at all",
            "It won't even turn on",
        ),
        "pos": (
            "The {product} is really good quality",
            "Well made and sturdy",
            "Looks exactly like the pictures",
            "Would definitely buy again",
            "Feels more premium than I expected",
        ),
    },
    "agent": {
        "neg": (
            "The agent was rude to me",
            "I had to repeat myself three times",
            "They just read from a script and didn't help",
            "They promised a callback and never called",
            "The chatbot keeps giving useless answers, let me talk to a human",
            "Every agent tells me something different",
        ),
        "pos": (
            "{agent} from support was really kind and patient",
            "The agent solved it in minutes, thank you",
            "Clear explanation, I understood everything",
            "Support fixed my issue right away",
        ),
    },
    "wait": {
        "neg": (
            "I waited {wait} minutes to reach customer service",
            "Impossible to get through on the phone",
            "Chat queue says {wait} people ahead of me",
            "No reply to my inquiry for {days} days",
            "The phone menu just loops and never connects me",
        ),
        "pos": (
            "Got connected immediately",
            "Chat support replied within {wait} minutes",
            "Quick response, appreciated",
        ),
    },
    "app_error": {
        "neg": (
            "The app keeps crashing since the update",
            "After updating to {version} the app won't open",
            "Checkout button shows a blank white screen",
            "Items keep disappearing from my cart",
            "Search only shows an error message",
            "App closes right after launch on {version}",
        ),
        "pos": (
            "Clean app, easy to use",
            "Much faster after the update",
            "Love that I can do returns in the app",
        ),
    },
    "payment": {
        "neg": (
            "I was charged but there is no order",
            "My card was charged twice",
            "KakaoPay payment keeps failing",
            "Payment error but the money left my account, {amount} won",
            "Can't choose installments at checkout",
        ),
        "pos": ("Easy payment with Naver Pay", "Checkout was quick and simple"),
    },
    "account": {
        "neg": (
            "I can't log in and the password reset email never arrives",
            "Kakao login just spins forever",
            "Auto login keeps resetting after the update",
            "The verification text never comes so I can't sign up",
            "It says session expired every time I log in",
        ),
        "pos": ("Social login makes it easy", "Sign-up took less than a minute"),
    },
    "coupon": {
        "neg": (
            "The coupon won't apply",
            "I never got my birthday coupon",
            "My points expired without any notice",
            "The {coupon} coupon expires way too fast",
            "VIP benefits are barely noticeable",
        ),
        "pos": (
            "The first-order coupon saved me a lot",
            "Membership perks are worth it",
            "Used the {coupon} coupon, nice deal",
        ),
    },
    "packaging": {
        "neg": (
            "The box arrived completely crushed",
            "No bubble wrap at all",
            "Way too much plastic packaging",
            "The package arrived soaking wet",
            "The tape was torn, looks like someone opened it",
        ),
        "pos": ("Carefully packed, perfect for a gift", "Love the eco-friendly packaging"),
    },
    "churn": {
        "neg": (
            "I can't find where to cancel the membership",
            "Closing my account is way too complicated",
            "I cancelled and still got charged this month",
            "I'm taking my business elsewhere",
            "Never using this service again",
        ),
        "pos": ("I almost cancelled but the retention offer was good",),
    },
    "general": {
        "neg": (
            "Overall very disappointing",
            "Not what it used to be",
            "Can't recommend it",
            "Thinking about switching to another shop",
            "It keeps getting worse",
        ),
        "pos": (
            "Overall very happy",
            "Already recommended it to friends",
            "My go-to shop",
            "Been a loyal customer for years",
            "Never had a bad experience here",
        ),
        "mid": ("It's okay", "Fine, nothing special", "Average experience", "Some good, some bad", "Does the job"),
    },
}

HEADS: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {"pos": ("Delivery was fast, but",), "neg": ("Delivery was slow, but",)},
    "refund": {"pos": ("The refund was quick, but",), "neg": ("The refund took ages, but",)},
    "price": {"pos": ("The price is fine, but",), "neg": ("It's a bit pricey, but",)},
    "quality": {"pos": ("The product itself is good, but",), "neg": ("The product was meh, but",)},
    "agent": {"pos": ("The agent was nice, but",), "neg": ("Support was frustrating, but",)},
    "wait": {"pos": ("I got through fast, but",), "neg": ("The wait was long, but",)},
    "app_error": {"pos": ("The app is nice, but",), "neg": ("The app is clunky, but",)},
    "payment": {"pos": ("Paying is easy, but",), "neg": ("Payment was a hassle, but",)},
    "account": {"pos": ("Signing up was easy, but",), "neg": ("Logging in is annoying, but",)},
    "coupon": {"pos": ("Coupons are generous, but",), "neg": ("The coupons are weak, but",)},
    "packaging": {"pos": ("Packaging was neat, but",), "neg": ("The box was dented, but",)},
    "churn": {"pos": ("I wanted to stay, but",), "neg": ("I nearly cancelled, but",)},
    "general": {"pos": ("Mostly good, but",), "neg": ("Mostly bad, but",)},
}

CONNECTORS: dict[str, tuple[str, ...]] = {
    "same": ("Also,", "And", "On top of that,", "Plus", "Oh and"),
    "turn": ("But", "That said,", "However,", "Still,"),
}
OPENERS: tuple[str, ...] = ("Hi,", "Hello,", "Hi there,", "Hey,", "Quick question.", "Long-time {brand} customer here.")
CLOSERS: dict[str, tuple[str, ...]] = {
    "neg": ("Please fix this asap", "Waiting for your reply", "Please call me back", "Very disappointed",
            "Let me know what you will do", "pls check"),
    "pos": ("Thanks!", "Keep it up", "Will order again", "Thank you so much"),
    "mid": ("Just so you know", "Please take note", "Hope this helps", "Do better next time"),
}
ESCALATIONS: tuple[str, ...] = (
    "If this isn't fixed I'm cancelling", "I will report this to the Korea Consumer Agency",
    "I'm talking to my lawyer about this", "I'll file a chargeback with my card company",
    "Close my account please", "I'm posting this everywhere",
)
PII: tuple[str, ...] = (
    "call me at {phone}", "my number is {phone}", "reply to {email} please", "the card I used is {card}",
    "my email is {email}", "you asked for my ID so here it is {rrn}",
)
CALL_GREETINGS: tuple[str, ...] = (
    "Thank you for calling {brand}, this is {agent}. How can I help you?",
    "{brand} customer care, {agent} speaking.",
)
CALL_PROBES: tuple[str, ...] = (
    "I'm sorry about that. Could I have your order number?",
    "Let me check that for you, one moment please.",
    "Could you confirm your name and phone number?",
)
CALL_REPLIES: dict[str, tuple[str, ...]] = {
    "resolved": ("I've processed it now, you'll get a text shortly.", "Done, sorry for the trouble."),
    "unresolved": ("I'll pass this to the team and call you back.", "Unfortunately our policy doesn't allow that."),
}
CALL_ENDINGS: dict[str, tuple[str, ...]] = {
    "resolved": ("Okay, thanks.", "Thank you.", "Great, appreciate it."),
    "unresolved": ("Fine.", "Please make sure it happens this time.", "I've heard that before."),
}
EMAIL_SIGNOFFS: tuple[str, ...] = ("Regards,\n{name}", "Thanks,\n{name}", "Best,\n{name}", "{name}")
TYPOS: dict[str, str] = {
    "received": "recieved", "definitely": "definately", "don't": "dont", "can't": "cant", "doesn't": "doesnt",
    "please": "pls", "you": "u", "really": "rly", "because": "bc", "separate": "seperate",
}
TAILS: dict[str, tuple[str, ...]] = {
    "neg": ("!!", "!!!", "...", " :(", " 😡", " 🙄", "??"),
    "pos": ("!", " :)", " 👍", " 😊", "!!", " ❤️"),
    "mid": (".", " :/", "...", " 🤔", " meh"),
}
TAGS: dict[str, tuple[str, ...]] = {
    "neg": ("#customerservice", "#fail", "#delivery", "#disappointed", "#korea"),
    "pos": ("#shopping", "#review", "#haul", "#korea", "#recommend"),
    "mid": ("#shopping", "#review", "#korea"),
}
PRAISE_SUBJECTS: tuple[str, ...] = ("Subject: Thank you", "Subject: Feedback", "Subject: A compliment")
CALL_FILLERS: tuple[str, ...] = ("Sure.", "One sec.", "Okay.")

# Code-switched sentences as bilingual Korean customers type them.
MIXED: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {
        "neg": (
            "delivery tracking이 계속 안 돼요", "{days}일째 still preparing이에요 seriously",
            "배송 delay 너무 심해요 ASAP 부탁",
        ),
        "pos": ("delivery 진짜 fast 했어요", "next day delivery 덕분에 편했어요 thanks"),
    },
    "refund": {
        "neg": ("refund process가 너무 slow 해요", "return pickup이 아직도 안 왔어요 why"),
        "pos": ("refund 처리 super quick 했어요",),
    },
    "price": {
        "neg": ("price가 좀 too high 한 듯", "shipping fee 너무 비싸요 honestly"), "pos": ("가성비 really good",),
    },
    "quality": {
        "neg": ("quality가 생각보다 별로예요 totally disappointed", "{product} defect 있어요 please check"),
        "pos": ("quality 완전 good 이에요", "{product} 너무 nice 해요 love it"),
    },
    "agent": {"neg": ("customer service 응대가 너무 rude 했어요",), "pos": ("CS agent분이 super kind 하셨어요",)},
    "wait": {"neg": ("CS 연결까지 {wait}분 waiting 했어요 seriously",), "pos": ("chat response 진짜 fast 했어요",)},
    "app_error": {
        "neg": ("app update 후에 login error 계속 떠요", "{version} update 하고 app crash 나요 fix please"),
        "pos": ("app UI 깔끔하고 easy 해요",),
    },
    "payment": {"neg": ("payment fail 뜨는데 돈은 빠져나갔어요 what", "card 결제 double charge 됐어요")},
    "account": {"neg": ("login 안 되고 password reset mail도 안 와요",), "pos": ("social login 편해서 good",)},
    "coupon": {
        "neg": ("coupon apply가 안 돼요 why", "{coupon} coupon expired 됐대요"), "pos": ("coupon benefit 좋아요",),
    },
    "packaging": {"neg": ("packaging damage 심각해요 box 다 찌그러짐",), "pos": ("packaging 꼼꼼해서 gift로 딱",)},
    "churn": {"neg": ("membership cancel 어떻게 해요", "그냥 account delete 할게요 bye")},
    "general": {"neg": ("overall 너무 disappointed 예요",), "pos": ("overall 완전 satisfied 해요",)},
}

# Context lead-ins, written as their own sentence before the main point.
LEADS: tuple[str, ...] = (
    "Ordered the {product} last week.", "Bought the {product} for my mom.", "Second order here.",
    "First time using {brand}.", "Got this during the sale.", "Bought it for the office.",
    "Ordered on {date_en}.", "A friend recommended {brand}.", "Reordered the {product}.", "Used the {coupon} coupon.",
    "Ordered through the app.", "Regular customer here.",
)
SCORE_REMARKS: tuple[str, ...] = ("Giving it a {score}.", "{score} from me.", "Score: {score}.", "I'd say {score}.")
# fmt: on
