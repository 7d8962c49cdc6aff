from django import forms


class SignupExtraForm(forms.Form):
    """Extra sign-up fields (ACC-1): the newsletter box, unticked unless the person ticks it."""

    newsletter_opt_in = forms.BooleanField(
        required=False,
        initial=False,
        label="Yes, send me news about new makers, gift ideas and offers from Hmong Artisans.",
    )

    def signup(self, request, user) -> None:
        user.newsletter_opt_in = self.cleaned_data.get("newsletter_opt_in", False)
        user.save(update_fields=["newsletter_opt_in"])
