package main

import (
	"context"
	"errors"
)

func runExtract(ctx context.Context, app *app, args []string) error {
	fs := app.flags("extract", "")
	if _, err := app.parse(fs, args); err != nil {
		return err
	}
	return errors.New("not implemented yet")
}
